/*
 * lagfs_proc: a lagfs that lagrace starts for one iteration (its own
 * backing dir and mountpoint), or one somebody else mounted (--mount).
 * lagrace reads its events from a pipe and talks to its control socket.
 */
#ifndef LAGFS_PROC_H
#define LAGFS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "event_stream.h"

struct lagfs_proc {
	pid_t pid;                 /* 0 for a lagfs we did not start */
	bool died;                 /* it exited before we stopped it */
	int status;                /* then its wait status */
	const char *mnt;
	const char *sock;
	struct event_stream *events;
	uint64_t t_ready_ns;       /* its "start" event */
	/* The connection to its control socket, kept from one command to
	 * the next: a connect and an accept per iteration were a tenth of
	 * a millisecond of CPU, lagrace's and lagfs's. */
	bool ctl_open;
	int ctl_fd;
};

/*
 * Start lagfs (binary lagfs_bin) in the foreground with --remount (an
 * unmount ends a session, and lagfs mounts again) on back/mnt with
 * control socket sock, rules (NULL-terminated) and -o fuse_opts (or
 * NULL), its stderr going to
 * stderr_path, and wait for its "start" event. 0, or -1 with err set.
 */
int lagfs_proc_start(struct lagfs_proc *p, const char *lagfs_bin,
		     const char *back, const char *mnt, const char *sock,
		     const char *const *rules, const char *fuse_opts,
		     const char *stderr_path, char *err, size_t errlen);

/* Attach to a running lagfs: follow its log file, use its socket. */
int lagfs_proc_attach(struct lagfs_proc *p, const char *mnt,
		      const char *log_path, const char *sock, char *err,
		      size_t errlen);

/* Wait for lagfs to exit; call it once its event stream has ended (lagfs
 * closes its log as it exits). Returns its wait status, -1 on error. */
int lagfs_proc_reap(struct lagfs_proc *p);

/* Ask it to stop (SIGTERM: it unmounts), wait, then as lagfs_proc_kill. */
void lagfs_proc_stop(struct lagfs_proc *p);

/* Kill (SIGKILL) and reap, close the stream. Safe to call twice. */
void lagfs_proc_kill(struct lagfs_proc *p);

/* One control command over p's connection to its control socket (made
 * now if there is none, made again once if lagfs dropped it); the
 * one-line answer (no newline) in reply. 0 when it starts with "ok",
 * else -1. */
int lagfs_proc_control(struct lagfs_proc *p, const char *cmd, char *reply,
		       size_t cap);

/* The same, once, to the control socket sock of a lagfs not ours. */
int lagfs_control(const char *sock, const char *cmd, char *reply, size_t cap);

#endif
