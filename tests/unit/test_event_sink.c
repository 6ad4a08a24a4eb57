/*
 * event_sink unit tests: order and completeness to a pipe and a file, prompt
 * delivery, and the failure modes that must never block a request thread:
 * a full disk (/dev/full), a reader that stops reading, a reader that is
 * gone (EPIPE, with SIGPIPE at its default, deadly disposition).
 *
 * Expected output is built with lag_event_format itself, so these tests do
 * not depend on the line format.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event_sink.h"
#include "harness.h"

#define MS 1000000ull

struct buf {
	char *p;
	size_t len, cap;
};

struct reader {
	int fd;
	struct buf got;
	pthread_t th;
};

static void buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Event number i: every 97th has a path whose line does not fit the sink's
 * stack buffer (control bytes are escaped as \uXXXX). */
static void make_event(struct lag_event *e, uint64_t i)
{
	char path[LAG_PATH_MAX];
	int n;

	lag_event_init(e, LAG_EV_OPEN);
	e->unique = i;
	e->pid = (int64_t)(i % 1000);
	if (i % 97 == 5) {
		memset(path, 'a', sizeof(path));
		path[0] = '/';
		for (n = 1; n < (int)sizeof(path); n += 3)
			path[n] = 1;
		lag_event_set_path(e, path, sizeof(path));
	} else {
		n = snprintf(path, sizeof(path), "/dir/file-%" PRIu64, i);
		lag_event_set_path(e, path, (size_t)n);
	}
}

/* What the sink must write when given ev[0 .. n - 1]. */
static void expected(struct buf *b, struct lag_event *ev, size_t n)
{
	char *line = malloc(LAG_LINE_MAX);
	size_t i;

	for (i = 0; i < n; i++)
		buf_add(b, line, lag_event_format(&ev[i], line, LAG_LINE_MAX));
	free(line);
}

static struct lag_event *make_events(size_t n, uint64_t first)
{
	struct lag_event *ev = calloc(n, sizeof(*ev));
	size_t i;

	for (i = 0; i < n; i++)
		make_event(&ev[i], first + i);
	return ev;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char chunk[65536];
	ssize_t n;

	while ((n = read(r->fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf_add(&r->got, chunk, (size_t)n);
	}
	return NULL;
}

/* Wait (bounded) until the writer has dealt with n events. Call it before
 * a check of *st, not in its arguments: their evaluation order is
 * unspecified. */
static bool settled(struct event_sink *s, uint64_t n,
		    struct event_sink_stats *st)
{
	uint64_t end = lag_now_ns() + 10000 * MS;
	struct timespec pause = { 0, 1000000 };

	for (;;) {
		event_sink_stats(s, st);
		if (st->written + st->dropped >= n)
			return true;
		if (lag_now_ns() > end)
			return false;
		nanosleep(&pause, NULL);
	}
}

/* Put n events; returns the slowest single put in ns. */
static uint64_t put_all(struct event_sink *s, struct lag_event *ev, size_t n)
{
	uint64_t slowest = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t t0 = lag_now_ns(), dt;

		event_sink_put(s, &ev[i]);
		dt = lag_now_ns() - t0;
		if (dt > slowest)
			slowest = dt;
	}
	return slowest;
}

static char *slurp(const char *path, size_t *len)
{
	struct buf b = { 0 };
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	*len = b.len;
	return b.p ? b.p : calloc(1, 1);
}

/* Events, a sink and the pipe it may write to; the sink owns its fd. */
FIXTURE(sink) {
	struct lag_event *ev;
	size_t n;
	struct event_sink *s;
	int p[2];		/* -1: closed, or the sink's */
};

FIXTURE_SETUP(sink)
{
	/* SIGPIPE must be survivable even at its default disposition. */
	signal(SIGPIPE, SIG_DFL);
	self->p[0] = self->p[1] = -1;
}

FIXTURE_TEARDOWN(sink)
{
	event_sink_close(self->s);
	if (self->p[0] >= 0)
		close(self->p[0]);
	free(self->ev);
}

/* n events numbered from 1, and a pipe whose writing end the sink has. */
static void sink_on_pipe(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sink) *self, size_t n, size_t buf_bytes)
{
	self->ev = make_events(n, 1);
	self->n = n;
	ASSERT_EQ(0, pipe2(self->p, O_CLOEXEC)) TH_LOG("%s", strerror(errno));
	self->s = event_sink_open(self->p[1], buf_bytes);
	ASSERT_NE(NULL, self->s);
}

/* n events, the sink on a new temp file; its name in path. */
static void sink_on_file(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sink) *self, size_t n, char *path)
{
	int fd;

	self->ev = make_events(n, 1);
	self->n = n;
	strcpy(path, "/tmp/test_event_sink.XXXXXX");
	fd = mkstemp(path);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
	self->s = event_sink_open(fd, 0);
	ASSERT_NE(NULL, self->s);
}

/* Close the sink, then read back the file it wrote and remove it. */
static char *close_and_slurp(FIXTURE_DATA(sink) *self, const char *path,
			     size_t *len)
{
	char *got;

	event_sink_close(self->s);
	self->s = NULL;
	got = slurp(path, len);
	unlink(path);
	return got;
}

TEST(api_edges)
{
	struct event_sink_stats st = { 1, 1, 1 };
	struct lag_event e;
	struct event_sink *s;

	errno = 0;
	EXPECT_NULL(event_sink_open(-1, 0));
	EXPECT_EQ(EBADF, errno);
	make_event(&e, 1);
	/* a NULL sink: put, close and stats do nothing */
	event_sink_put(NULL, &e);
	event_sink_close(NULL);
	event_sink_stats(NULL, &st);
	EXPECT_EQ(0, st.written);
	EXPECT_EQ(0, st.dropped);
	EXPECT_EQ(0, st.last_errno);

	/* a line longer than the whole buffer can only be dropped */
	s = event_sink_open(open("/dev/null", O_WRONLY | O_CLOEXEC), 64);
	ASSERT_NE(NULL, s);
	event_sink_put(s, &e);
	event_sink_stats(s, &st);
	EXPECT_EQ(1, st.dropped);
	EXPECT_EQ(0, st.written);
	event_sink_close(s);
}

TEST_F(sink, pipe_gets_every_line_in_order)
{
	struct buf want = { 0 };
	struct event_sink_stats st;
	struct reader r = { 0 };
	bool done;

	sink_on_pipe(_metadata, self, 3000, 0);
	expected(&want, self->ev, self->n);
	r.fd = self->p[0];
	ASSERT_EQ(0, pthread_create(&r.th, NULL, reader_main, &r));
	put_all(self->s, self->ev, self->n);
	done = settled(self->s, self->n, &st);
	EXPECT_TRUE(done);
	EXPECT_EQ(self->n, st.written);
	EXPECT_EQ(0, st.dropped);
	EXPECT_EQ(0, st.last_errno);
	event_sink_close(self->s);	/* the reader sees EOF */
	self->s = NULL;
	pthread_join(r.th, NULL);
	/* byte for byte */
	EXPECT_MEMEQ(want.p, want.len, r.got.p, r.got.len);
	free(r.got.p);
	free(want.p);
}

TEST_F(sink, close_flushes_to_a_file)
{
	char path[32];
	struct buf want = { 0 };
	size_t len = 0;
	char *got;

	sink_on_file(_metadata, self, 20000, path);
	expected(&want, self->ev, self->n);
	put_all(self->s, self->ev, self->n);
	/* closed at once: close must write everything, in order */
	got = close_and_slurp(self, path, &len);
	EXPECT_MEMEQ(want.p, want.len, got, len);
	free(got);
	free(want.p);
}

/* A driver waiting for an event must get it promptly: no batch interval. */
TEST_F(sink, prompt)
{
	struct lag_event e;
	struct pollfd pfd;
	uint64_t t0, worst = 0;
	char line[LAG_LINE_MAX];
	int got = 0;

	sink_on_pipe(_metadata, self, 0, 0);
	for (int i = 0; i < 20; i++) {
		make_event(&e, (uint64_t)i);
		t0 = lag_now_ns();
		event_sink_put(self->s, &e);
		pfd = (struct pollfd){ .fd = self->p[0], .events = POLLIN };
		if (poll(&pfd, 1, 2000) == 1 &&
		    read(self->p[0], line, sizeof(line)) > 0)
			got++;
		if (lag_now_ns() - t0 > worst)
			worst = lag_now_ns() - t0;
	}
	EXPECT_EQ(20, got);
	/* from put to readable, the worst of 20 */
	EXPECT_GT(100 * MS, worst);
}

struct putter {
	struct event_sink *s;
	uint64_t base;
	int n;
	pthread_t th;
};

static void *putter_main(void *arg)
{
	struct putter *pt = arg;
	struct lag_event e;
	int i;

	for (i = 0; i < pt->n; i++) {
		make_event(&e, pt->base + (uint64_t)i);
		event_sink_put(pt->s, &e);
	}
	return NULL;
}

/* Lines from many threads stay whole and in each thread's order. */
TEST_F(sink, threads_lines_whole_and_in_order)
{
	enum { T = 4, N = 3000, BASE = 1000000 };
	struct putter pt[T];
	char path[32];
	uint64_t next[T] = { 0 };
	size_t len = 0, lines = 0, bad = 0;
	char *got, *p, *end;

	sink_on_file(_metadata, self, 0, path);
	for (int i = 0; i < T; i++) {
		pt[i] = (struct putter){ self->s, (uint64_t)(i + 1) * BASE,
					 N, 0 };
		ASSERT_EQ(0, pthread_create(&pt[i].th, NULL, putter_main,
					    &pt[i]));
	}
	for (int i = 0; i < T; i++)
		pthread_join(pt[i].th, NULL);
	got = close_and_slurp(self, path, &len);
	for (p = got, end = got + len; p < end; lines++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *u = memmem(p, nl ? (size_t)(nl - p) : 0, "\"unique\":",
				 9);
		uint64_t id;
		int i;

		if (!nl || !u) {
			TH_LOG("line %zu is cut: %.80s", lines, p);
			bad++;
			break;
		}
		id = strtoull(u + 9, NULL, 10);
		i = (int)(id / BASE) - 1;
		if (i < 0 || i >= T || id % BASE != next[i]++)
			if (!bad++)
				TH_LOG("line %zu: unique %" PRIu64 " out of "
				       "order", lines, id);
		p = nl + 1;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(T * N, lines);
	free(got);
}

TEST_F(sink, full_disk_drops_and_never_blocks)
{
	struct event_sink_stats st;
	uint64_t slowest;
	bool done;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "/dev/full: %s", strerror(errno));
	self->ev = make_events(2000, 1);
	self->n = 2000;
	self->s = event_sink_open(fd, 0);
	ASSERT_NE(NULL, self->s);
	slowest = put_all(self->s, self->ev, self->n);
	EXPECT_GT(100 * MS, slowest);
	done = settled(self->s, self->n, &st);
	/* all dropped, ENOSPC */
	EXPECT_TRUE(done);
	EXPECT_EQ(self->n, st.dropped);
	EXPECT_EQ(0, st.written);
	EXPECT_EQ(ENOSPC, st.last_errno) TH_LOG("%s", strerror(st.last_errno));
}

/*
 * Nobody reads the pipe: the writer blocks in write(2), the 4 KiB buffer
 * fills, puts must still return at once and count drops. Then the reader
 * goes away: the writer gets EPIPE, not a fatal SIGPIPE, and close returns.
 */
TEST_F(sink, stuck_reader_then_gone)
{
	struct event_sink_stats st;
	uint64_t t0, total, slowest;
	bool done;

	sink_on_pipe(_metadata, self, 10000, 4096);
	/* Smaller pipe, fewer bytes to fill; failing is fine (older
	 * kernels, limits): the default 64 KiB fills as well. */
	(void)fcntl(self->p[1], F_SETPIPE_SZ, 4096);
	t0 = lag_now_ns();
	slowest = put_all(self->s, self->ev, self->n);
	total = lag_now_ns() - t0;
	event_sink_stats(self->s, &st);
	EXPECT_GT(100 * MS, slowest);
	EXPECT_GT(2000 * MS, total);
	EXPECT_LT(0, st.dropped);
	/* the reader goes: the writer is unblocked */
	close(self->p[0]);
	self->p[0] = -1;
	done = settled(self->s, self->n, &st);
	EXPECT_TRUE(done);
	EXPECT_EQ(self->n, st.written + st.dropped);
	EXPECT_EQ(EPIPE, st.last_errno) TH_LOG("%s", strerror(st.last_errno));
	/* still alive after EPIPE: close returns */
	event_sink_close(self->s);
	self->s = NULL;
}

/* Voluntary context switches of this process's thread named comm, or -1. */
static long thread_switches(const char *comm)
{
	char path[96], buf[4096];
	FILE *f;
	long n = -1;

	for (int tid = getpid(); tid < getpid() + 64; tid++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		buf[0] = '\0';
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, comm) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "voluntary_ctxt_switches: %ld", &n) == 1)
				break;
		fclose(f);
		return n;
	}
	return -1;
}

/*
 * lagrace's case: single events far apart (more than the writer's linger).
 * With SIGPIPE ignored, as lagfs has it, each line is in the pipe when put
 * returns, and the writer thread is not woken for it.
 */
TEST_F(sink, sparse_lines_go_out_without_the_writer)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct lag_event e;
	char line[LAG_LINE_MAX];
	long before, after;
	int at_once = 0;

	ASSERT_EQ(0, sigaction(SIGPIPE, &ign, &old));
	sink_on_pipe(_metadata, self, 0, 0);
	ASSERT_EQ(0, fcntl(self->p[0], F_SETFL, O_NONBLOCK));
	/* the writer has started and waits: its first wait is a switch */
	for (int i = 0; i < 2000 && thread_switches("lagfs-log") < 1; i++)
		usleep(1000);
	before = thread_switches("lagfs-log");
	ASSERT_LE(1, before);
	for (int i = 0; i < 10; i++) {
		uint64_t next = lag_now_ns() + 1 * MS;

		make_event(&e, (uint64_t)i);
		event_sink_put(self->s, &e);
		if (read(self->p[0], line, sizeof(line)) > 0)
			at_once++;
		while (lag_now_ns() < next)	/* the events' spacing */
			usleep(200);
	}
	after = thread_switches("lagfs-log");
	EXPECT_EQ(10, at_once);
	EXPECT_EQ(before, after);
	ASSERT_EQ(0, sigaction(SIGPIPE, &old, NULL));
}

TEST_F(sink, closed_pipe_drops_and_survives)
{
	struct event_sink_stats st;
	bool done;

	sink_on_pipe(_metadata, self, 100, 0);
	close(self->p[0]);
	self->p[0] = -1;
	put_all(self->s, self->ev, self->n);
	done = settled(self->s, self->n, &st);
	/* all dropped, EPIPE, the process not killed */
	EXPECT_TRUE(done);
	EXPECT_EQ(self->n, st.dropped);
	EXPECT_EQ(0, st.written);
	EXPECT_EQ(EPIPE, st.last_errno);
}

TEST_HARNESS_MAIN
