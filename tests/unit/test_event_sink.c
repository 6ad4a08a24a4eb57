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

#include "event_sink.h"
#include "tap.h"

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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
 * ok(), not in its arguments: their evaluation order is unspecified. */
static bool settled(struct event_sink *s, uint64_t n,
		    struct event_sink_stats *st)
{
	uint64_t end = now_ns() + 10000 * MS;
	struct timespec pause = { 0, 1000000 };

	for (;;) {
		event_sink_stats(s, st);
		if (st->written + st->dropped >= n)
			return true;
		if (now_ns() > end)
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
		uint64_t t0 = now_ns(), dt;

		event_sink_put(s, &ev[i]);
		dt = now_ns() - t0;
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

static void test_api_edges(void)
{
	struct event_sink_stats st = { 1, 1, 1 };
	struct lag_event e;
	struct event_sink *s;
	int fd;

	errno = 0;
	ok(event_sink_open(-1, 0) == NULL && errno == EBADF,
	   "open(-1) fails with EBADF");
	make_event(&e, 1);
	event_sink_put(NULL, &e);
	event_sink_close(NULL);
	event_sink_stats(NULL, &st);
	ok(st.written == 0 && st.dropped == 0 && st.last_errno == 0,
	   "NULL sink: put, close, stats are no-ops");

	/* a line longer than the whole buffer can only be dropped */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	s = event_sink_open(fd, 64);
	event_sink_put(s, &e);
	event_sink_stats(s, &st);
	ok(s && st.dropped == 1 && st.written == 0,
	   "line bigger than the buffer: dropped");
	event_sink_close(s);
}

static void test_pipe_order(void)
{
	bool done;
	enum { N = 3000 };
	struct lag_event *ev = make_events(N, 1);
	struct buf want = { 0 };
	struct event_sink_stats st;
	struct reader r = { 0 };
	struct event_sink *s;
	int p[2];

	expected(&want, ev, N);
	if (pipe2(p, O_CLOEXEC) != 0) {
		skip("pipe: %s", strerror(errno));
		return;
	}
	r.fd = p[0];
	pthread_create(&r.th, NULL, reader_main, &r);
	s = event_sink_open(p[1], 0);
	ok(s != NULL, "sink on a pipe");
	put_all(s, ev, N);
	done = settled(s, N, &st);
	ok(done && st.written == N && st.dropped == 0 &&
	   st.last_errno == 0, "pipe: written %" PRIu64 " dropped %" PRIu64,
	   st.written, st.dropped);
	event_sink_close(s);		/* closes p[1]: reader sees EOF */
	pthread_join(r.th, NULL);
	ok(r.got.len == want.len && !memcmp(r.got.p, want.p, want.len),
	   "pipe: every line, in order, byte for byte (%zu bytes)",
	   want.len);
	close(p[0]);
	free(r.got.p);
	free(want.p);
	free(ev);
}

static void test_file_close_flushes(void)
{
	enum { N = 20000 };
	struct lag_event *ev = make_events(N, 1);
	struct buf want = { 0 };
	char path[] = "/tmp/test_event_sink.XXXXXX";
	struct event_sink *s;
	size_t len = 0;
	char *got;
	int fd = mkstemp(path);

	expected(&want, ev, N);
	if (fd < 0) {
		skip("mkstemp: %s", strerror(errno));
		free(want.p);
		free(ev);
		return;
	}
	s = event_sink_open(fd, 0);
	put_all(s, ev, N);
	event_sink_close(s);		/* at once: close must flush */
	got = slurp(path, &len);
	ok(got && len == want.len && !memcmp(got, want.p, len),
	   "file: close flushed all %d lines in order (%zu bytes)", N, len);
	unlink(path);
	free(got);
	free(want.p);
	free(ev);
}

/* A driver waiting for an event must get it promptly: no batch interval. */
static void test_latency(void)
{
	struct lag_event e;
	struct event_sink *s;
	struct pollfd pfd;
	uint64_t t0, worst = 0;
	char line[LAG_LINE_MAX];
	int p[2], i, got = 0;

	if (pipe2(p, O_CLOEXEC) != 0) {
		skip("pipe: %s", strerror(errno));
		return;
	}
	s = event_sink_open(p[1], 0);
	for (i = 0; i < 20; i++) {
		make_event(&e, (uint64_t)i);
		t0 = now_ns();
		event_sink_put(s, &e);
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		if (poll(&pfd, 1, 2000) == 1 &&
		    read(p[0], line, sizeof(line)) > 0)
			got++;
		if (now_ns() - t0 > worst)
			worst = now_ns() - t0;
	}
	ok(got == 20 && worst < 100 * MS,
	   "put to readable: worst of 20 is %.0f us", (double)worst / 1e3);
	event_sink_close(s);
	close(p[0]);
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
static void test_concurrent(void)
{
	enum { T = 4, N = 3000, BASE = 1000000 };
	struct putter pt[T];
	char path[] = "/tmp/test_event_sink.XXXXXX";
	struct event_sink *s;
	uint64_t next[T] = { 0 };
	size_t len = 0, lines = 0;
	bool good = true;
	char *got, *p, *end;
	int fd = mkstemp(path), i;

	if (fd < 0) {
		skip("mkstemp: %s", strerror(errno));
		return;
	}
	s = event_sink_open(fd, 0);
	for (i = 0; i < T; i++) {
		pt[i] = (struct putter){ s, (uint64_t)(i + 1) * BASE, N, 0 };
		pthread_create(&pt[i].th, NULL, putter_main, &pt[i]);
	}
	for (i = 0; i < T; i++)
		pthread_join(pt[i].th, NULL);
	event_sink_close(s);
	got = slurp(path, &len);
	for (p = got, end = got + len; good && p < end; lines++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *u = memmem(p, nl ? (size_t)(nl - p) : 0, "\"unique\":", 9);
		uint64_t id;

		if (!nl || !u) {
			good = false;
			break;
		}
		id = strtoull(u + 9, NULL, 10);
		i = (int)(id / BASE) - 1;
		if (i < 0 || i >= T || id % BASE != next[i]++)
			good = false;
		p = nl + 1;
	}
	ok(good && lines == T * N,
	   "%d threads x %d puts: %zu whole lines, each thread's in order",
	   T, N, lines);
	unlink(path);
	free(got);
}

static void test_dev_full(void)
{
	bool done;
	enum { N = 2000 };
	struct lag_event *ev = make_events(N, 1);
	struct event_sink_stats st;
	struct event_sink *s;
	uint64_t slowest;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		skip("/dev/full: %s", strerror(errno));
		free(ev);
		return;
	}
	s = event_sink_open(fd, 0);
	slowest = put_all(s, ev, N);
	ok(slowest < 100 * MS, "/dev/full: slowest put %.0f us",
	   (double)slowest / 1e3);
	done = settled(s, N, &st);
	ok(done && st.dropped == N && st.written == 0,
	   "/dev/full: all %d dropped (dropped %" PRIu64 ", written %"
	   PRIu64 ")", N, st.dropped, st.written);
	ok(st.last_errno == ENOSPC, "/dev/full: last_errno is ENOSPC (%s)",
	   strerror(st.last_errno));
	event_sink_close(s);
	free(ev);
}

/*
 * Nobody reads the pipe: the writer blocks in write(2), the 4 KiB buffer
 * fills, puts must still return at once and count drops. Then the reader
 * goes away: the writer gets EPIPE, not a fatal SIGPIPE, and close returns.
 */
static void test_stuck_reader(void)
{
	bool done;
	enum { N = 10000 };
	struct lag_event *ev = make_events(N, 1);
	struct event_sink_stats st;
	struct event_sink *s;
	uint64_t t0, total, slowest;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0) {
		skip("pipe: %s", strerror(errno));
		free(ev);
		return;
	}
	/* Smaller pipe, fewer bytes to fill; failing is fine (older
	 * kernels, limits): the default 64 KiB fills as well. */
	(void)fcntl(p[1], F_SETPIPE_SZ, 4096);
	s = event_sink_open(p[1], 4096);
	t0 = now_ns();
	slowest = put_all(s, ev, N);
	total = now_ns() - t0;
	event_sink_stats(s, &st);
	ok(slowest < 100 * MS && total < 2000 * MS,
	   "stuck reader: %d puts in %.1f ms, slowest %.0f us", N,
	   (double)total / 1e6, (double)slowest / 1e3);
	ok(st.dropped > 0, "stuck reader: dropped %" PRIu64 " > 0",
	   st.dropped);
	close(p[0]);
	done = settled(s, N, &st);
	ok(done && st.written + st.dropped == N,
	   "reader gone: writer unblocked (written %" PRIu64 " dropped %"
	   PRIu64 ")", st.written, st.dropped);
	ok(st.last_errno == EPIPE, "reader gone: last_errno is EPIPE (%s)",
	   strerror(st.last_errno));
	event_sink_close(s);
	ok(1, "still alive after EPIPE: close returned");
	free(ev);
}

static void test_epipe(void)
{
	bool done;
	enum { N = 100 };
	struct lag_event *ev = make_events(N, 1);
	struct event_sink_stats st;
	struct event_sink *s;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0) {
		skip("pipe: %s", strerror(errno));
		free(ev);
		return;
	}
	close(p[0]);
	s = event_sink_open(p[1], 0);
	put_all(s, ev, N);
	done = settled(s, N, &st);
	ok(done && st.dropped == N && st.written == 0 &&
	   st.last_errno == EPIPE,
	   "closed pipe: all dropped, EPIPE, process not killed");
	event_sink_close(s);
	free(ev);
}

int main(void)
{
	/* SIGPIPE must be survivable even at its default disposition. */
	signal(SIGPIPE, SIG_DFL);
	test_api_edges();
	test_pipe_order();
	test_file_close_flushes();
	test_latency();
	test_concurrent();
	test_dev_full();
	test_stuck_reader();
	test_epipe();
	return tap_done();
}
