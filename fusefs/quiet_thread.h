/*
 * quiet_thread: threads that no process signal reaches. lagfs's own helper
 * threads (the delay queue's workers, the log writer) must leave SIGINT and
 * SIGTERM (unmount) and SIGHUP (reload) to the threads that handle them,
 * and the log writer must get EPIPE from a vanished log reader instead of
 * dying of SIGPIPE.
 */
#ifndef QUIET_THREAD_H
#define QUIET_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) with every signal blocked in the new
 * thread; the caller's mask is left as it was. 0 or an errno. */
int quiet_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
