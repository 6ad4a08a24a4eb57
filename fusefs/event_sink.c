/*
 * event_sink: request threads format a line and copy it into a byte ring
 * under a mutex; one writer thread takes everything queued and write(2)s it
 * with the lock dropped. The writer owns the bytes [head, head + len) while it
 * writes them: producers only ever append into the free space after them.
 *
 * Waking the writer is the expensive part: with 10,000 parked reads
 * answered in a burst, the futex wake-ups took 29 % of the time of the
 * thread that answers them (perf, on a 2-vCPU VM). So after each write the
 * writer lingers: for SINK_LINGER_NS it checks back by itself, and
 * producers do not signal. Only when that passes with nothing queued does
 * it sleep until signalled. A line waits at most SINK_LINGER_NS longer than
 * it would with a signal per line, and an idle log costs nothing.
 *
 * An idle writer is not woken at all: a line put while nothing is queued,
 * the writer is not lingering and no line went out directly in the last
 * SINK_LINGER_NS is written by the producer itself, under the lock (so in
 * order), with RWF_NOWAIT so that a full pipe or a file system that would
 * block sends it to the ring instead; only while SIGPIPE is ignored (lagfs
 * does), as a producer's thread may let it through. That is lagrace's case: a handful of
 * events an iteration, each far from the last, which cost the writer two
 * wake-ups apiece (the signal and the linger's end) and lagfs about 0.3 ms
 * of CPU per iteration (perf, 2-vCPU VM). A burst still goes through the
 * ring: its second line finds the direct write too recent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "event_sink.h"
#include "mono_cond.h"
#include "quiet_thread.h"
#include "xpthread.h"

#define SINK_DEFAULT_BYTES (8u << 20)
/* Most lines are a few hundred bytes: format them on the stack, and only
 * lines with long (escaped) paths in a LAG_LINE_MAX heap buffer. */
#define SINK_STACK_LINE 4096
#define SINK_LINGER_NS 200000ull

struct event_sink {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t cv;	/* writer: data queued, or closing */

	char *ring;
	size_t cap;
	size_t head;		/* first queued byte */
	size_t len;		/* queued bytes */

	bool closing;
	bool lingering;		/* the writer checks back unsignalled */
	bool direct;		/* fd takes RWF_NOWAIT writes (so far) */
	uint64_t direct_ns;	/* the last direct write, lag_now_ns() */
	uint64_t written;
	uint64_t dropped;
	bool regular;		/* fd is a regular file: can be cut back */
	int last_errno;

	pthread_t writer;
};

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;
	const char *end = p + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		lines++;
		p++;
	}
	return lines;
}

/* ---- writer -------------------------------------------------------------- */

/*
 * Write all n bytes. Returns 0, or an errno with *done set to the bytes that
 * made it. A non-blocking fd is waited on rather than treated as failing.
 */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, p + *done, n - *done);

		if (w >= 0) {
			*done += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		return errno;
	}
	return 0;
}

/* Write the queued bytes [head, head + len) of the ring: one or two pieces.
 * Called unlocked. Returns 0 or an errno; *done as in write_all. */
static int write_batch(struct event_sink *s, size_t head, size_t len,
		       size_t *done)
{
	size_t first = len < s->cap - head ? len : s->cap - head;
	size_t d2;
	int err;

	err = write_all(s->fd, s->ring + head, first, done);
	if (err || first == len)
		return err;
	err = write_all(s->fd, s->ring, len - first, &d2);
	*done += d2;
	return err;
}

/* Lines of the batch [head, head + n) in the ring. */
static uint64_t ring_lines(struct event_sink *s, size_t head, size_t n)
{
	size_t first = n < s->cap - head ? n : s->cap - head;

	return count_lines(s->ring + head, first) +
	       count_lines(s->ring, n - first);
}

/*
 * Account for a batch of len bytes at head of which done were written before
 * error err (0: all). Lines cut short by the error count as dropped.
 */
static void batch_done(struct event_sink *s, size_t head, size_t len,
		       size_t done, int err)
{
	uint64_t ok = ring_lines(s, head, done);
	uint64_t all = ring_lines(s, head, len);

	xmutex_lock(&s->lock);
	s->written += ok;
	s->dropped += all - ok;
	if (err)
		s->last_errno = err;
	s->head = (head + len) % s->cap;
	s->len -= len;
	xmutex_unlock(&s->lock);
}

/*
 * A write cut short mid-line (a full disk) leaves half an event in a log
 * file: cut the file back to its last whole line, so readers only ever see
 * whole events. A pipe cannot be; its reader skips the broken line.
 */
static void trim_partial(struct event_sink *s, size_t head, size_t done)
{
	size_t keep = done;
	off_t end;

	while (keep > 0 && s->ring[(head + keep - 1) % s->cap] != '\n')
		keep--;
	if (keep == done || !s->regular)
		return;
	end = lseek(s->fd, 0, SEEK_CUR);
	if (end < 0)
		return;
	end -= (off_t)(done - keep);
	if (ftruncate(s->fd, end) == 0)
		lseek(s->fd, end, SEEK_SET);
}

/* Wait until something is queued or the sink closes. Locked. */
static void wait_for_lines(struct event_sink *s)
{
	while (s->len == 0 && !s->closing) {
		int rc;

		if (!s->lingering) {
			xcond_wait(&s->cv, &s->lock);
			continue;
		}
		rc = mono_cond_wait_until(&s->cv, &s->lock,
					  lag_now_ns() + SINK_LINGER_NS);
		if (rc == ETIMEDOUT) {
			if (s->len == 0)
				s->lingering = false;
		} else {
			pthread_check(rc, "pthread_cond_timedwait");
		}
	}
}

static void *writer_main(void *arg)
{
	struct event_sink *s = arg;

	/* For top -H and perf; a name is a nicety, not worth an error. */
	(void)pthread_setname_np(pthread_self(), "lagfs-log");
	/* The linger is a short sleep; default slack would stretch it. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	for (;;) {
		size_t head, len, done;
		int err;

		xmutex_lock(&s->lock);
		wait_for_lines(s);
		head = s->head;
		len = s->len;
		s->lingering = true;
		xmutex_unlock(&s->lock);
		if (len == 0)
			break;	/* closing and drained */
		err = write_batch(s, head, len, &done);
		if (err)
			trim_partial(s, head, done);
		batch_done(s, head, len, done, err);
	}
	return NULL;
}

/* ---- API ----------------------------------------------------------------- */

struct event_sink *event_sink_open(int fd, size_t buf_bytes)
{
	struct event_sink *s;
	int rc;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = fd;
	{
		struct stat st;

		s->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	}
	s->direct = true;
	s->cap = buf_bytes ? buf_bytes : SINK_DEFAULT_BYTES;
	s->ring = malloc(s->cap);
	if (!s->ring) {
		rc = ENOMEM;
		goto err_free;
	}
	rc = mono_lock_init(&s->lock, &s->cv);
	if (rc)
		goto err_free;
	/* quiet: a vanished log reader gives EPIPE, not a SIGPIPE */
	rc = quiet_thread_start(&s->writer, writer_main, s);
	if (rc) {
		mono_lock_destroy(&s->lock, &s->cv);
		goto err_free;
	}
	return s;

err_free:
	free(s->ring);
	free(s);
	errno = rc;
	return NULL;
}

/* Append n bytes if they fit; locked. */
static bool ring_put(struct event_sink *s, const char *line, size_t n)
{
	size_t tail, first;

	if (s->closing || n > s->cap - s->len)
		return false;
	tail = (s->head + s->len) % s->cap;
	first = n < s->cap - tail ? n : s->cap - tail;
	memcpy(s->ring + tail, line, first);
	memcpy(s->ring, line + first, n - first);
	s->len += n;
	return true;
}

/* A producer is any thread: unlike the writer's, its write to a pipe whose
 * reader is gone may only fail with EPIPE, never kill the process. */
static bool sigpipe_ignored(void)
{
	struct sigaction sa;

	return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

/*
 * Write the line now if the writer is idle (see the top of the file).
 * Returns how many bytes went out: n, or fewer (the rest goes to the ring
 * after them, in order), or 0 when it was not tried or failed (then the
 * writer meets any lasting error and accounts for it). Locked.
 */
static size_t write_direct(struct event_sink *s, const char *line, size_t n)
{
	struct iovec iov = { .iov_base = (void *)line, .iov_len = n };
	uint64_t now;
	ssize_t w;

	if (!s->direct || s->len > 0 || s->lingering || s->closing ||
	    n > s->cap || !sigpipe_ignored())
		return 0;
	now = lag_now_ns();
	if (now - s->direct_ns < SINK_LINGER_NS)
		return 0;
	s->direct_ns = now;
	w = pwritev2(s->fd, &iov, 1, -1, RWF_NOWAIT);
	if (w < 0 && (errno == EOPNOTSUPP || errno == EINVAL))
		s->direct = false;	/* e.g. tmpfs, or an older kernel */
	if (w <= 0)
		return 0;
	if ((size_t)w == n)
		s->written++;
	return (size_t)w;
}

static void sink_queue(struct event_sink *s, const char *line, size_t n)
{
	size_t done;

	xmutex_lock(&s->lock);
	done = n ? write_direct(s, line, n) : 0;
	if (done == n && n > 0) {
		xmutex_unlock(&s->lock);
		return;
	}
	line += done;
	n -= done;
	if (n == 0 || !ring_put(s, line, n))
		s->dropped++;
	else if (!s->lingering)
		xcond_signal(&s->cv);
	xmutex_unlock(&s->lock);
}

void event_sink_put(struct event_sink *s, const struct lag_event *e)
{
	char small[SINK_STACK_LINE];
	char *big;
	size_t n;

	if (!s)
		return;
	n = lag_event_format(e, small, sizeof(small));
	if (n > 0) {
		sink_queue(s, small, n);
		return;
	}
	big = malloc(LAG_LINE_MAX);
	n = big ? lag_event_format(e, big, LAG_LINE_MAX) : 0;
	sink_queue(s, big, n);
	free(big);
}

void event_sink_close(struct event_sink *s)
{
	event_sink_close_stats(s, NULL);
}

void event_sink_close_stats(struct event_sink *s, struct event_sink_stats *st)
{
	if (!s) {
		if (st)
			memset(st, 0, sizeof(*st));
		return;
	}
	xmutex_lock(&s->lock);
	s->closing = true;
	xcond_signal(&s->cv);
	xmutex_unlock(&s->lock);
	pthread_check(pthread_join(s->writer, NULL), "pthread_join");
	if (st)
		event_sink_stats(s, st);
	/* Nobody to report a close error to: the stats die with s. */
	(void)close(s->fd);
	mono_lock_destroy(&s->lock, &s->cv);
	free(s->ring);
	free(s);
}

void event_sink_stats(struct event_sink *s, struct event_sink_stats *st)
{
	if (!s) {
		memset(st, 0, sizeof(*st));
		return;
	}
	xmutex_lock(&s->lock);
	st->written = s->written;
	st->dropped = s->dropped;
	st->last_errno = s->last_errno;
	xmutex_unlock(&s->lock);
}
