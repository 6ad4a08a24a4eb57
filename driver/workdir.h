/*
 * workdir: a run's private temporary directory, $TMPDIR/lagrace.PID.XXXXXX
 * (/tmp without $TMPDIR), and who may remove it.
 *
 * It holds a file named "owner" on which every process of the run (the
 * main process, each lane) keeps a shared flock(2) of its own. The kernel
 * drops a lock when its process dies, however it dies, so:
 *   - the last process of a run to leave removes the directory, even when
 *     the main process was killed with SIGKILL and its lanes finished alone;
 *   - `lagrace cleanup` tells a dead run's directory from a live one by
 *     taking the lock exclusively: it gets it only when no process of the
 *     run is left, and no reused PID can fool it.
 * The PID in the name is for people and for a directory whose owner file
 * was never made (a run killed within microseconds of its start).
 */
#ifndef WORKDIR_H
#define WORKDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define WORKDIR_PREFIX "lagrace."
#define WORKDIR_OWNER "owner"

struct workdir {
	char path[PATH_MAX];
	int lock_fd;                   /* this process's shared lock, or -1 */
};

/* Make the directory under $TMPDIR and lock it for this process: 0, or -1
 * with err ("PATH: reason"). */
int workdir_create(struct workdir *w, char *err, size_t errlen);

/* In a process forked from the one that made it (a lane): drop the
 * inherited descriptor and hold a lock of its own, so that the directory
 * stays as long as this process lives. 0, or -1 with errno set. */
int workdir_hold(struct workdir *w);

/*
 * This process is done with the directory. When no other process of the
 * run holds it any more, remove it and everything below it, never crossing
 * into a mount (a mount still there is left in place, with its directory).
 * 1: removed; 0: another process of the run still holds it; -1: something
 * could not be removed (err: "PATH: reason").
 */
int workdir_leave(struct workdir *w, char *err, size_t errlen);

/*
 * For `lagrace cleanup`: if no process of the run that made dir (a path
 * WORKDIR_PREFIX...) is alive, lock it exclusively and return the lock's
 * descriptor (keep it while removing, then close it); else -1. *pid gets
 * the PID in its name (0 if none).
 */
int workdir_claim_dead(const char *dir, long *pid);

/* Remove dir and everything below it without crossing into a mount. 0, or
 * -1 with errno of the first failure and *what set to the path. */
int workdir_remove_tree(const char *dir, char *what, size_t cap);

#endif
