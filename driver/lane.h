/*
 * lane: a process that runs iterations one after another on its own mount
 * and sends each struct iter_result to the main process over a pipe (one
 * write per result, smaller than PIPE_BUF, so lanes can share the pipe).
 *
 * A lane lives in a mount namespace of its own (as root a plain one; as an
 * ordinary user a user + mount namespace), so its mounts are invisible
 * outside and vanish with it, whatever happens to lagrace; its files are on
 * a tmpfs mounted in that namespace, and vanish with it too. --fusermount,
 * --no-namespace (root) and --mount lanes use the host's mounts and disk.
 *
 * If lagrace dies, each lane gets SIGTERM (its parent-death signal), ends
 * its iteration, stops its lagfs, removes its directory, and the last lane
 * out removes lagrace's (workdir.h); with --trace, the lanes remove
 * lagrace's tracefs instance too.
 */
#ifndef LANE_H
#define LANE_H

#include <sys/types.h>

#include "race.h"
#include "workdir.h"

/* Runs in the forked lane process; returns its exit status. wd is
 * lagrace's private temporary directory, parent lagrace's main process. */
int lane_main(const struct race_cfg *cfg, unsigned lane, int result_fd,
	      struct workdir *wd, pid_t parent);

#endif
