/*
 * daemon: lagfs's own fuse_daemonize(). libfuse's parent exits 0 as soon
 * as its child has forked, whatever the child then meets, and the child's
 * stderr is /dev/null by then. Here the parent waits: it exits 0 only once
 * the child has answered the kernel's INIT (the mount is there and served),
 * and otherwise with the child's own status (2 for a startup failure),
 * after the child has said why on the caller's stderr and unmounted. So
 * `lagfs ... && use-the-mount` never sees 0 without a mount.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>

/*
 * In the background: fork; the parent never returns. The child goes on in
 * a new session with cwd "/" and the caller's stderr; 0, or -1 with a
 * message. If the child dies of a signal before daemon_ready(), it cleaned
 * nothing up: the parent calls undo(arg) (unmount, remove the socket) and
 * exits 2. In the foreground nothing happens (the cwd stays).
 */
int daemon_start(bool foreground, void (*undo)(void *arg), void *arg);

/*
 * Startup is over: stdin, stdout and stderr become /dev/null and the
 * parent exits 0. Only the first call does anything; any thread may call
 * it; nothing in it can fail. Does nothing in the foreground.
 */
void daemon_ready(void);

#endif
