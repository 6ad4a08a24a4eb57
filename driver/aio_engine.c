/*
 * aio engine: the uring engine's shape through libaio: qd reads (or writes)
 * in flight, spread round-robin over the files at distinct offsets, each
 * resubmitted in its place as soon as it completes. Failed completions are
 * counted, not fatal. (Buffered libaio IO is synchronous inside io_submit;
 * only O_DIRECT puts IO in flight.)
 */
#include <errno.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

static void aio_fail(const char *what, int err)
{
	fprintf(stderr, "lagrace: aio engine: %s: %s\n", what, strerror(err));
}

/* (Re)prepare an iocb: io_prep_* clears it first. */
static void aio_prep(const struct engine_opts *o, struct iocb *cb, int fd,
		     void *buf, off_t offset)
{
	if (o->write)
		io_prep_pwrite(cb, fd, buf, o->bs, offset);
	else
		io_prep_pread(cb, fd, buf, o->bs, offset);
}

/* Submit all n iocbs, however many calls it takes. */
static int aio_submit(io_context_t ctx, struct iocb **cbs, long n)
{
	while (n > 0) {
		int ret = io_submit(ctx, n, cbs);

		if (ret == -EINTR)
			continue;
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		engine_count((unsigned)ret, 0, 0);
		cbs += ret;
		n -= ret;
	}
	return 0;
}

/* A buffer, a place and a prepared iocb for each of the qd IOs; *nbuf
 * counts the buffers (freed by the caller). 0, or -1 (message on stderr). */
static int aio_prepare(const struct engine_opts *o, const int *fds,
		       struct iocb *cbs, struct iocb **ready, unsigned *nbuf)
{
	for (; *nbuf < o->qd; (*nbuf)++) {
		void *buf = engine_buffer(o);
		unsigned file;
		off_t offset;

		if (!buf)
			return -1;
		engine_place(o, *nbuf, &file, &offset);
		aio_prep(o, &cbs[*nbuf], fds[file], buf, offset);
		ready[*nbuf] = &cbs[*nbuf];
	}
	return 0;
}

/* Wait for completions and resubmit each IO in its place, until killed;
 * returns on an error. */
static void aio_loop(const struct engine_opts *o, io_context_t ctx,
		     struct iocb **ready, struct io_event *events)
{
	for (;;) {
		long n = io_getevents(ctx, 1, o->qd, events, NULL);
		int ret;

		if (n == -EINTR)
			continue;
		if (n < 0) {
			aio_fail("io_getevents", (int)-n);
			return;
		}
		for (long e = 0; e < n; e++) {
			struct iocb *cb = events[e].obj;

			engine_count(0, 1, (long)events[e].res < 0);
			/* io_prep_* clears the iocb: keep its file, place, buffer */
			aio_prep(o, cb, cb->aio_fildes, cb->u.c.buf,
				 (off_t)cb->u.c.offset);
			ready[e] = cb;
		}
		ret = aio_submit(ctx, ready, n);
		if (ret < 0) {
			aio_fail("io_submit", -ret);
			return;
		}
	}
}

static int aio_run(const struct engine_opts *o)
{
	io_context_t ctx = 0;
	struct iocb *cbs = calloc(o->qd, sizeof(*cbs));
	struct iocb **ready = calloc(o->qd, sizeof(*ready));
	struct io_event *events = calloc(o->qd, sizeof(*events));
	int *fds = NULL, ret;
	unsigned nbuf = 0;

	if (!cbs || !ready || !events)
		aio_fail("memory", ENOMEM);
	else
		fds = engine_open_files(o, "aio engine");
	if (!fds || aio_prepare(o, fds, cbs, ready, &nbuf) < 0)
		goto out;
	ret = io_setup((int)o->qd, &ctx);
	if (ret < 0) {
		aio_fail("io_setup", -ret);
		goto out;
	}
	ret = aio_submit(ctx, ready, o->qd);
	if (ret < 0)
		aio_fail("io_submit", -ret);
	else
		aio_loop(o, ctx, ready, events);
	io_destroy(ctx);
out:
	while (nbuf)
		free(cbs[--nbuf].u.c.buf);
	engine_close_files(o, fds);
	free(events);
	free(ready);
	free(cbs);
	return 1;
}

const struct engine_ops engine_aio = {
	.help = "libaio reads/writes, qd in flight (in flight only with --direct)",
	.run = aio_run,
};
