/*
 * lane: a process that runs iterations one after another on its own mount
 * and sends each struct iter_result to the main process over a pipe (one
 * write per result, smaller than PIPE_BUF, so lanes can share the pipe).
 *
 * A lane lives in a mount namespace of its own (as root a plain one; as an
 * ordinary user a user + mount namespace), so its mounts are invisible
 * outside and vanish with it, whatever happens to lagrace. --fusermount and
 * --mount lanes use the host's mounts instead.
 */
#ifndef LANE_H
#define LANE_H

#include "race.h"

/* Runs in the forked lane process; returns its exit status. workdir is
 * lagrace's private temporary directory. */
int lane_main(const struct race_cfg *cfg, unsigned lane, int result_fd,
	      const char *workdir);

#endif
