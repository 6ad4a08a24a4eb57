/*
 * fixed-file engine: opens the files, registers them with an io_uring
 * (io_uring_register_files: the ring keeps its own reference to each),
 * closes their descriptors and waits to be killed. No IO at all: the
 * ring's file table holds the files' last references, and the ring is
 * torn down after the task has gone, by a work queue (io_ring_exit_work),
 * whose fput goes through delayed_fput: after the reap. With sqpoll, the
 * ring has its own submission thread, which the teardown parks and stops
 * first.
 */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static int fixed_file_run(const struct engine_opts *o)
{
	int *fds = engine_open_files(o, "fixed-file engine");
	struct io_uring_params p = { .flags = o->sqpoll ? IORING_SETUP_SQPOLL
							: 0 };
	struct io_uring ring;
	int ret;

	if (!fds)
		return 1;
	ret = io_uring_queue_init_params(1, &ring, &p);
	if (ret < 0) {
		fprintf(stderr, "lagrace: fixed-file engine: "
			"io_uring_queue_init: %s\n", strerror(-ret));
		engine_close_files(o, fds);
		return 1;
	}
	ret = io_uring_register_files(&ring, fds, o->nfiles);
	engine_close_files(o, fds);
	if (ret < 0) {
		fprintf(stderr, "lagrace: fixed-file engine: "
			"io_uring_register_files: %s\n", strerror(-ret));
	} else if (engine_ready(o) == 0) {
		engine_await_kill();
	}
	io_uring_queue_exit(&ring);
	return 1;
}

const struct engine_ops engine_fixed_file = {
	.help = "files registered with an io_uring, descriptors closed",
	.run = fixed_file_run,
	.signals_ready = true,
	.keeper = KEEPER_URING_FIXED,
	.takes_sqpoll = true,
};
