/*
 * mono_cond: condition variables whose timed waits run on CLOCK_MONOTONIC,
 * the clock of every lagfs deadline, so that a step of the realtime clock
 * can neither end a wait early nor stretch it.
 */
#ifndef MONO_COND_H
#define MONO_COND_H

#include <pthread.h>
#include <stdint.h>

/* pthread_cond_init with CLOCK_MONOTONIC: 0 or an errno. */
int mono_cond_init(pthread_cond_t *cv);

/* A lock and its monotonic condition variable, made together: 0, or an
 * errno with neither made. mono_lock_destroy undoes it (aborting on a
 * failure, as xpthread.h does). */
int mono_lock_init(pthread_mutex_t *lock, pthread_cond_t *cv);
void mono_lock_destroy(pthread_mutex_t *lock, pthread_cond_t *cv);

/* Wait on cv (initialised by mono_cond_init, lock held) until signalled or
 * CLOCK_MONOTONIC reaches deadline_ns: pthread_cond_timedwait's result
 * (0, ETIMEDOUT, or an errno). */
int mono_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *lock,
			 uint64_t deadline_ns);

#endif
