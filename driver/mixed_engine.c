/*
 * mixed engine: an fsstress-like random mix of file operations, drawn with
 * rand_r() from o->seed (the same seed on the same files gives the same
 * sequence): buffered pread/pwrite, O_DIRECT reads through io_uring (with
 * and without IOSQE_ASYNC) and through libaio, fsync, ftruncate, stat,
 * open/close, readdir, creat+unlink of a scratch file, and creating new
 * files. It works on the lane's nfiles files plus up to MIX_NEW files it
 * creates in o->dir (mix-0.lag ...), keeps up to MIX_SLOTS files open and
 * lets up to qd (at most MIX_MAX_IO) io_uring reads and as many aio reads
 * stay in flight while it goes on; a file may be closed with IO still in
 * flight on it. Errors are expected (ENOENT for a mix file not created yet,
 * EINVAL for O_DIRECT where it is not supported, EINTR from the
 * filesystem...) and ignored. It never stops on its own.
 *
 * o->direct, o->async and o->write are ignored: the mix chooses. ftruncate
 * changes the size of mix files only; the lane's lag-N.lag files are
 * "truncated" to ENGINE_FILE_SIZE (a SETATTR that keeps their size), as
 * the next iteration reads them and a kill could land between a shrink and
 * a regrow. The mix files stay in o->dir after the child is killed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <limits.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#include "base.h"

#define MIX_SLOTS  4   /* files open at once, at most */
#define MIX_NEW    4   /* mix-0.lag ... mix-3.lag */
#define MIX_MAX_IO 8   /* io_uring (and aio) reads in flight, at most */
#define MIX_SCRATCH "mix-scratch.lag"

enum mix_kind { MIX_BUFFERED, MIX_DIRECT, MIX_ANY };

struct mix_slot {
	int fd;            /* -1: empty */
	bool direct;       /* opened with O_DIRECT */
	unsigned file;     /* < nfiles: lag-N.lag, else mix-(N - nfiles).lag */
};

struct mix_io {
	void *buf;
	bool busy;         /* in flight */
	struct iocb cb;    /* aio only */
};

struct mix {
	const struct engine_opts *o;
	unsigned seed;     /* rand_r state */
	unsigned max_io;   /* qd, within 1 .. MIX_MAX_IO */
	void *buf;         /* for the synchronous reads and writes */
	struct mix_slot slot[MIX_SLOTS];
	struct io_uring ring;
	bool ring_ok;
	struct mix_io uring_io[MIX_MAX_IO];
	unsigned uring_busy;
	io_context_t aio;
	struct mix_io aio_io[MIX_MAX_IO];
	unsigned aio_busy;
};

/* ---- helpers ---- */

static unsigned mix_rand(struct mix *m, unsigned n)
{
	return (unsigned)rand_r(&m->seed) % n;
}

static unsigned mix_any_file(struct mix *m)
{
	return mix_rand(m, m->o->nfiles + MIX_NEW);
}

static void mix_path(const struct mix *m, unsigned file, char *path,
		     size_t size)
{
	if (file < m->o->nfiles)
		snprintf(path, size, ENGINE_FILE_FMT, m->o->dir, file);
	else
		snprintf(path, size, "%s/mix-%u.lag", m->o->dir,
			 file - m->o->nfiles);
}

/* A random bs-aligned offset with the whole IO within the file size. */
static off_t mix_offset(struct mix *m)
{
	unsigned slots = (unsigned)(ENGINE_FILE_SIZE / m->o->bs);

	return slots ? (off_t)mix_rand(m, slots) * (off_t)m->o->bs : 0;
}

static void mix_close_slot(struct mix_slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Open a file read-write into a random slot, closing what was there (IO
 * still in flight on it holds its own reference). NULL if open failed. */
static struct mix_slot *mix_open_file(struct mix *m, unsigned file,
				      int flags, bool direct)
{
	struct mix_slot *s = &m->slot[mix_rand(m, MIX_SLOTS)];
	char path[PATH_MAX];

	mix_close_slot(s);
	mix_path(m, file, path, sizeof(path));
	s->fd = open(path, O_RDWR | O_CLOEXEC | flags | (direct ? O_DIRECT : 0),
		     0644);
	s->direct = direct;
	s->file = file;
	return s->fd >= 0 ? s : NULL;
}

/* An open file of the kind asked for, opening a random one if none is. */
static struct mix_slot *mix_pick(struct mix *m, enum mix_kind kind)
{
	unsigned start = mix_rand(m, MIX_SLOTS);

	for (unsigned i = 0; i < MIX_SLOTS; i++) {
		struct mix_slot *s = &m->slot[(start + i) % MIX_SLOTS];

		if (s->fd >= 0 && (kind == MIX_ANY ||
				   s->direct == (kind == MIX_DIRECT)))
			return s;
	}
	return mix_open_file(m, mix_any_file(m), 0, kind == MIX_DIRECT);
}

static struct mix_io *mix_free_io(struct mix *m, struct mix_io *ios)
{
	for (unsigned i = 0; i < m->max_io; i++)
		if (!ios[i].busy)
			return &ios[i];
	errno = EBUSY;
	return NULL;
}

/* Reap the io_uring reads that completed; with wait, wait for one first
 * (submitting anything a failed submit left queued). */
static void mix_uring_reap(struct mix *m, bool wait)
{
	struct io_uring_cqe *cqe;

	if (wait && m->uring_busy)
		io_uring_submit_and_wait(&m->ring, 1);
	while (m->uring_busy && io_uring_peek_cqe(&m->ring, &cqe) == 0) {
		__u64 i = io_uring_cqe_get_data64(cqe);

		if (i < MIX_MAX_IO && m->uring_io[i].busy) {
			m->uring_io[i].busy = false;
			m->uring_busy--;
		}
		io_uring_cqe_seen(&m->ring, cqe);
	}
}

/* Reap the aio reads that completed; with wait, wait for one first. */
static void mix_aio_reap(struct mix *m, bool wait)
{
	struct io_event ev[MIX_MAX_IO];
	struct timespec zero = { 0, 0 };
	long n;

	if (!m->aio_busy)
		return;
	n = io_getevents(m->aio, wait ? 1 : 0, MIX_MAX_IO, ev,
			 wait ? NULL : &zero);
	for (long e = 0; e < n; e++) {
		struct mix_io *io = ev[e].data;

		io->busy = false;
		m->aio_busy--;
	}
}

/* ---- the operations: 0 done, -1 failed (errno set, and ignored) ---- */

static int mix_op_pread(struct mix *m)
{
	struct mix_slot *s = mix_pick(m, MIX_BUFFERED);

	return s && pread(s->fd, m->buf, m->o->bs, mix_offset(m)) >= 0 ? 0 : -1;
}

static int mix_op_pwrite(struct mix *m)
{
	struct mix_slot *s = mix_pick(m, MIX_BUFFERED);

	return s && pwrite(s->fd, m->buf, m->o->bs, mix_offset(m)) >= 0 ? 0 : -1;
}

/* For an O_DIRECT read through io_uring (uring) or libaio: an open
 * O_DIRECT file in *s and a free IO, once one is reaped if max_io are in
 * flight; NULL if either is missing. */
static struct mix_io *mix_direct_io(struct mix *m, bool uring,
				    struct mix_slot **s)
{
	*s = mix_pick(m, MIX_DIRECT);
	if (uring)
		mix_uring_reap(m, m->uring_busy >= m->max_io);
	else
		mix_aio_reap(m, m->aio_busy >= m->max_io);
	return *s ? mix_free_io(m, uring ? m->uring_io : m->aio_io) : NULL;
}

static int mix_uring_read(struct mix *m, bool async)
{
	struct io_uring_sqe *sqe;
	struct mix_slot *s;
	struct mix_io *io = mix_direct_io(m, true, &s);
	int ret;

	if (!io)
		return -1;
	sqe = io_uring_get_sqe(&m->ring);
	if (!sqe) {
		errno = EBUSY;
		return -1;
	}
	io_uring_prep_read(sqe, s->fd, io->buf, (unsigned)m->o->bs,
			   (__u64)mix_offset(m));
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data64(sqe, (__u64)(io - m->uring_io));
	/* Queued now: in flight once submitted, here or at the next wait. */
	io->busy = true;
	m->uring_busy++;
	ret = io_uring_submit(&m->ring);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static int mix_op_uring_read(struct mix *m)
{
	return mix_uring_read(m, false);
}

static int mix_op_uring_async(struct mix *m)
{
	return mix_uring_read(m, true);
}

static int mix_op_aio_read(struct mix *m)
{
	struct mix_slot *s;
	struct mix_io *io = mix_direct_io(m, false, &s);
	struct iocb *cb;
	int ret;

	if (!io)
		return -1;
	cb = &io->cb;
	io_prep_pread(cb, s->fd, io->buf, m->o->bs, mix_offset(m));
	cb->data = io;
	ret = io_submit(m->aio, 1, &cb);
	if (ret != 1) {
		errno = ret < 0 ? -ret : EAGAIN;
		return -1;
	}
	io->busy = true;
	m->aio_busy++;
	return 0;
}

/* Wait for one io_uring or aio read, if any is in flight. */
static int mix_op_wait(struct mix *m)
{
	if (m->uring_busy && (!m->aio_busy || mix_rand(m, 2)))
		mix_uring_reap(m, true);
	else
		mix_aio_reap(m, true);
	return 0;
}

static int mix_op_fsync(struct mix *m)
{
	struct mix_slot *s = mix_pick(m, MIX_ANY);

	return s ? fsync(s->fd) : -1;
}

static int mix_op_truncate(struct mix *m)
{
	struct mix_slot *s = mix_pick(m, MIX_ANY);
	off_t len = ENGINE_FILE_SIZE;

	if (!s)
		return -1;
	if (s->file >= m->o->nfiles)
		len = (off_t)mix_rand(m, ENGINE_FILE_SIZE / 4096 + 1) * 4096;
	return ftruncate(s->fd, len);
}

static int mix_op_stat(struct mix *m)
{
	char path[PATH_MAX];
	struct stat st;

	mix_path(m, mix_any_file(m), path, sizeof(path));
	return stat(path, &st);
}

static int mix_op_open(struct mix *m)
{
	unsigned file = mix_any_file(m);

	return mix_open_file(m, file, 0, mix_rand(m, 2)) ? 0 : -1;
}

static int mix_op_close(struct mix *m)
{
	mix_close_slot(&m->slot[mix_rand(m, MIX_SLOTS)]);
	return 0;
}

static int mix_op_readdir(struct mix *m)
{
	DIR *d = opendir(m->o->dir);

	if (!d)
		return -1;
	while (readdir(d))
		;
	return closedir(d);
}

static int mix_op_scratch(struct mix *m)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/" MIX_SCRATCH, m->o->dir);
	fd = creat(path, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return unlink(path);
}

/* Create (or reopen) a mix file and give it the full size. */
static int mix_op_create(struct mix *m)
{
	unsigned file = m->o->nfiles + mix_rand(m, MIX_NEW);
	struct mix_slot *s = mix_open_file(m, file, O_CREAT, false);
	struct stat st;

	if (!s || fstat(s->fd, &st) < 0)
		return -1;
	return st.st_size < ENGINE_FILE_SIZE ?
		ftruncate(s->fd, ENGINE_FILE_SIZE) : 0;
}

static const struct mix_op {
	const char *name;
	unsigned weight;   /* how often, against the others */
	int (*fn)(struct mix *m);
} mix_ops[] = {
	{ "pread",       4, mix_op_pread },
	{ "pwrite",      2, mix_op_pwrite },
	{ "uring_read",  2, mix_op_uring_read },
	{ "uring_async", 2, mix_op_uring_async },
	{ "aio_read",    2, mix_op_aio_read },
	{ "wait",        1, mix_op_wait },
	{ "fsync",       1, mix_op_fsync },
	{ "truncate",    1, mix_op_truncate },
	{ "stat",        2, mix_op_stat },
	{ "open",        2, mix_op_open },
	{ "close",       1, mix_op_close },
	{ "readdir",     1, mix_op_readdir },
	{ "scratch",     1, mix_op_scratch },
	{ "create",      1, mix_op_create },
};
#define MIX_NOPS ARRAY_SIZE(mix_ops)

static const struct mix_op *mix_choose(struct mix *m)
{
	unsigned total = 0, r, i;

	for (i = 0; i < MIX_NOPS; i++)
		total += mix_ops[i].weight;
	r = mix_rand(m, total);
	for (i = 0; r >= mix_ops[i].weight; i++)
		r -= mix_ops[i].weight;
	return &mix_ops[i];
}

/* Only reached on a setup error: the loop never ends. */
static void mix_free(struct mix *m)
{
	for (unsigned i = 0; i < MIX_SLOTS; i++)
		mix_close_slot(&m->slot[i]);
	if (m->aio)
		io_destroy(m->aio);
	if (m->ring_ok)
		io_uring_queue_exit(&m->ring);
	for (unsigned i = 0; i < MIX_MAX_IO; i++) {
		free(m->uring_io[i].buf);
		free(m->aio_io[i].buf);
	}
	free(m->buf);
}

static int mixed_setup(struct mix *m)
{
	int ret;

	/* The first file, opened as asked: a missing mount fails here. */
	m->slot[0].fd = engine_open(m->o, 0, O_RDWR);
	if (m->slot[0].fd < 0)
		return -1;
	m->slot[0].direct = m->o->direct;
	m->slot[0].file = 0;
	if (!(m->buf = engine_buffer(m->o)))
		return -1;
	for (unsigned i = 0; i < MIX_MAX_IO; i++)
		if (!(m->uring_io[i].buf = engine_buffer(m->o)) ||
		    !(m->aio_io[i].buf = engine_buffer(m->o)))
			return -1;
	ret = io_uring_queue_init(MIX_MAX_IO, &m->ring, 0);
	if (ret < 0) {
		fprintf(stderr, "lagrace: mixed engine: io_uring_queue_init: %s\n",
			strerror(-ret));
		return -1;
	}
	m->ring_ok = true;
	ret = io_setup(MIX_MAX_IO, &m->aio);
	if (ret < 0) {
		m->aio = 0;
		fprintf(stderr, "lagrace: mixed engine: io_setup: %s\n",
			strerror(-ret));
		return -1;
	}
	return 0;
}

static int mixed_run(const struct engine_opts *o)
{
	struct mix m = { .o = o, .seed = o->seed };

	m.max_io = o->qd < 1 ? 1 : o->qd > MIX_MAX_IO ? MIX_MAX_IO : o->qd;
	for (unsigned i = 0; i < MIX_SLOTS; i++)
		m.slot[i].fd = -1;
	if (mixed_setup(&m) < 0) {
		mix_free(&m);
		return 1;
	}
	for (;;) {
		const struct mix_op *op = mix_choose(&m);

		engine_count(1, 0, 0);
		engine_count(0, 1, op->fn(&m) < 0);
		/* Take what completed meanwhile; what has not stays in flight. */
		mix_uring_reap(&m, false);
		mix_aio_reap(&m, false);
	}
}

const struct engine_ops engine_mixed = {
	.help = "fsstress-like random mix of IO and metadata ops (--seed)",
	.run = mixed_run,
};
