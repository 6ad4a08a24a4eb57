/*
 * uring engine: qd reads (or writes) in flight through one io_uring, spread
 * round-robin over the files at distinct offsets, each with IOSQE_ASYNC if
 * asked. Every completion is resubmitted in its place at once, so IO stays
 * in flight until the child is killed. --sqpoll: an SQPOLL ring. A failed completion (EINTR when the
 * filesystem answers an interrupt) is counted, not fatal.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

/* One IO slot: the same IO is resubmitted each time it completes. */
struct uring_io {
	int fd;
	off_t offset;
	void *buf;
};

static void uring_fail(const char *what, int err)
{
	fprintf(stderr, "lagrace: uring engine: %s: %s\n", what, strerror(err));
}

/* Submit what is queued and count it; a partial submit leaves the rest
 * queued for the next call. */
static int uring_submit(struct io_uring *ring)
{
	int ret;

	do
		ret = io_uring_submit(ring);
	while (ret == -EINTR);
	if (ret > 0)
		engine_count((unsigned)ret, 0, 0);
	return ret;
}

/* Queue IO number i (no submit). The ring has room for every slot, and a
 * slot is queued only when it is not in flight, so there is always an sqe
 * once the earlier ones are submitted. */
static int uring_queue(struct io_uring *ring, const struct engine_opts *o,
		       const struct uring_io *io, unsigned i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		int ret = uring_submit(ring);

		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EBUSY;
	}
	if (o->write)
		io_uring_prep_write(sqe, io->fd, io->buf, (unsigned)o->bs,
				    (__u64)io->offset);
	else
		io_uring_prep_read(sqe, io->fd, io->buf, (unsigned)o->bs,
				   (__u64)io->offset);
	if (o->async)
		sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data64(sqe, i);
	return 0;
}

/* A buffer and a place for each of the qd IOs; *nbuf counts the buffers
 * (freed by the caller). 0, or -1 with a message on stderr. */
static int uring_prepare(const struct engine_opts *o, const int *fds,
			 struct uring_io *io, unsigned *nbuf)
{
	for (; *nbuf < o->qd; (*nbuf)++) {
		struct uring_io *u = &io[*nbuf];
		unsigned file;

		u->buf = engine_buffer(o);
		if (!u->buf)
			return -1;
		engine_place(o, *nbuf, &file, &u->offset);
		u->fd = fds[file];
	}
	return 0;
}

/* All qd IOs queued and submitted: 0, or -1 with a message on stderr. */
static int uring_start(struct io_uring *ring, const struct engine_opts *o,
		       const struct uring_io *io)
{
	int ret = 0;

	for (unsigned i = 0; i < o->qd && ret >= 0; i++)
		ret = uring_queue(ring, o, &io[i], i);
	if (ret >= 0)
		ret = uring_submit(ring);
	if (ret < 0) {
		uring_fail("io_uring_submit", -ret);
		return -1;
	}
	return 0;
}

/* Wait for completions and resubmit each IO in its place, until killed;
 * returns on an error. */
static void uring_loop(struct io_uring *ring, const struct engine_opts *o,
		       const struct uring_io *io)
{
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int ret = io_uring_wait_cqe(ring, &cqe);

		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			uring_fail("io_uring_wait_cqe", -ret);
			return;
		}
		/* Take every completion there is, resubmit them together. */
		io_uring_for_each_cqe(ring, head, cqe) {
			__u64 n = io_uring_cqe_get_data64(cqe);

			seen++;
			engine_count(0, 1, cqe->res < 0);
			/* With its files closed, nothing can be resubmitted. */
			if (n >= o->qd || o->close_in_flight)
				continue;
			ret = uring_queue(ring, o, &io[n], (unsigned)n);
			if (ret < 0)
				break;
		}
		io_uring_cq_advance(ring, seen);
		if (ret >= 0)
			ret = uring_submit(ring);
		if (ret < 0) {
			uring_fail("io_uring_submit", -ret);
			return;
		}
	}
}

/* --close-in-flight: at the cue, close the files, so that the IO in
 * flight holds their last references. 0, or -1 with a message. */
static int uring_close_in_flight(const struct engine_opts *o, int **fds)
{
	if (!o->close_in_flight)
		return 0;
	if (engine_wait_cue(o) < 0)
		return -1;
	engine_close_files(o, *fds);
	*fds = NULL;
	return 0;
}

static int uring_run(const struct engine_opts *o)
{
	struct uring_io *io = calloc(o->qd, sizeof(*io));
	int *fds = io ? engine_open_files(o, "uring engine") : NULL;
	struct io_uring ring;
	unsigned nbuf = 0;
	int ret;

	if (!io)
		fprintf(stderr, "lagrace: uring engine: %s\n", strerror(ENOMEM));
	if (!fds || uring_prepare(o, fds, io, &nbuf) < 0)
		goto out;
	ret = io_uring_queue_init(o->qd, &ring, o->sqpoll ? IORING_SETUP_SQPOLL
							  : 0);
	if (ret < 0) {
		uring_fail("io_uring_queue_init", -ret);
		goto out;
	}
	if (uring_start(&ring, o, io) == 0 &&
	    uring_close_in_flight(o, &fds) == 0)
		uring_loop(&ring, o, io);
	io_uring_queue_exit(&ring);
out:
	while (nbuf)
		free(io[--nbuf].buf);
	engine_close_files(o, fds);
	free(io);
	return 1;
}

const struct engine_ops engine_uring = {
	.help = "io_uring reads/writes, qd in flight (IOSQE_ASYNC with --async)",
	.run = uring_run,
	.closes_in_flight = true,
	.takes_sqpoll = true,
};
