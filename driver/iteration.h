/*
 * iteration: one run of the race in one lane: mount lagfs, fork the child
 * workload, wait until lagfs reports its IO has arrived, SIGKILL it, reap
 * it, unmount at once, and measure how long the mount stays busy and when
 * the child's files are released. The lane's working directories and the
 * lagfs it uses live in struct lane_env.
 */
#ifndef ITERATION_H
#define ITERATION_H

#include <limits.h>
#include <stdbool.h>

#include "lagfs_proc.h"
#include "race.h"

struct lane_env {
	const struct race_cfg *cfg;
	unsigned lane;
	char dir[PATH_MAX];         /* the lane's directory: all below */
	char back[PATH_MAX], mnt[PATH_MAX], sock[PATH_MAX], errlog[PATH_MAX];
	bool tmpfs;                 /* dir is a tmpfs in the lane's namespace */
	bool shared;                /* --mount: use, never unmount */
	struct lagfs_proc proc;     /* the lane's lagfs, or the --mount one */
	bool mounted;               /* proc is running and has mounted */
	bool root;                  /* umount2 allowed (root or namespace) */
	unsigned seed;
};

/* Fill r with what happened. Returns 0, or -1 when the iteration could not
 * run (r->error and r->err say why); a lane gives up after such a failure. */
int iteration_run(struct lane_env *env, unsigned index,
		  struct iter_result *r);

/* Stop the lane's lagfs (it unmounts). */
void iteration_cleanup(struct lane_env *env);

#endif
