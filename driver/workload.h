/*
 * workload: starting and ending a workload that lagrace knows nothing of
 * (the command engine). It runs in a PID namespace of its own where the
 * kernel allows, so that one SIGKILL to its init kills every process it
 * started (fio's jobs leave its process group with setsid) and the init's
 * reap means all are gone; else in a process group of its own, the lane
 * being their subreaper. Each iteration gets a fresh backing directory.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct workload {
	pid_t pid;          /* the namespace's init, or the group's leader */
	bool group;         /* no namespace: a process group */
	ino_t pidns;        /* the namespace's inode (/proc/PID/ns/pid) */
	pid_t keep;         /* group: a child of ours that is not the
			     * workload's (the lane's lagfs) */
};

/* As fork(): 0 in the new process (pid 1 of its namespace, or leader of
 * its group), its pid in the caller (w filled), -1 with errno. */
pid_t workload_spawn(struct workload *w);

/* SIGKILL to all of it: 0 or -1 with errno. */
int workload_kill(const struct workload *w);

/* Once the init or leader is reaped: a namespace has nobody left; of a
 * group, every process that has come to us (we are their subreaper),
 * in the group or not (fio's jobs call setsid), is killed and reaped, until
 * none is left. */
void workload_reap_rest(const struct workload *w);

/* Its processes that are still there, "pid 12 (fio) in WCHAN, ...", at
 * most a few, into out: how many there are. A workload of neither a
 * namespace nor a group is its pid alone. */
unsigned workload_stuck(const struct workload *w, char *out, size_t cap);

/* back emptied (made if need be), with a copy of populate's contents if
 * populate: 0, or -1 with a one-line reason in err. */
int workload_fresh_dir(const char *back, const char *populate, char *err,
		       size_t errlen);

#endif
