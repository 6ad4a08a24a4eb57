#include "event_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define BUF_SIZE (1u << 20)

struct event_stream {
	int fd;
	int inotify_fd;        /* follow mode only, else -1 */
	bool eof;
	char *buf;
	size_t start, end;     /* unconsumed bytes are buf[start, end) */
	unsigned long bad;
};

/* All but fd, which stays the caller's until the stream is open. */
static void stream_free(struct event_stream *s)
{
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	free(s->buf);
	free(s);
}

/* Follow mode: wake up when lagfs writes to path. 0, or -1. */
static int watch(struct event_stream *s, const char *path)
{
	s->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (s->inotify_fd < 0)
		return -1;
	return inotify_add_watch(s->inotify_fd, path, IN_MODIFY) < 0 ? -1 : 0;
}

struct event_stream *event_stream_open(int fd, bool follow, const char *path)
{
	struct event_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = fd;
	s->inotify_fd = -1;
	/* read() only what is there; waiting is ppoll()'s job. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    !(s->buf = malloc(BUF_SIZE)) || (follow && watch(s, path) < 0)) {
		stream_free(s);
		return NULL;
	}
	return s;
}

void event_stream_close(struct event_stream *s)
{
	if (!s)
		return;
	close(s->fd);
	stream_free(s);
}

int event_stream_fd(const struct event_stream *s)
{
	return s->inotify_fd >= 0 ? s->inotify_fd : s->fd;
}

unsigned long event_stream_bad_lines(const struct event_stream *s)
{
	return s->bad;
}

/* A complete line in the buffer, parsed into e: 1, or 0 if none yet. */
static int take_line(struct event_stream *s, struct lag_event *e)
{
	char err[128];

	for (;;) {
		char *line = s->buf + s->start;
		char *nl = memchr(line, '\n', s->end - s->start);
		size_t len;

		if (!nl)
			return 0;
		len = (size_t)(nl - line);
		s->start += len + 1;
		if (lag_event_parse(line, len, e, err, sizeof(err)) == 0)
			return 1;
		s->bad++;
	}
}

/* Read what is there: >0 bytes read, 0 nothing now, -1 EOF or error. */
static int fill(struct event_stream *s)
{
	ssize_t n;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (s->end == BUF_SIZE) {
		s->end = 0; /* a line longer than the buffer: drop it */
		s->bad++;
	}
	n = read(s->fd, s->buf + s->end, BUF_SIZE - s->end);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return s->inotify_fd >= 0 ? 0 : -1;
	s->end += (size_t)n;
	return 1;
}

static void drain_inotify(struct event_stream *s)
{
	char ev[4096];

	while (read(s->inotify_fd, ev, sizeof(ev)) > 0)
		;
}

int event_stream_next(struct event_stream *s, struct lag_event *e,
		      uint64_t deadline_ns)
{
	for (;;) {
		struct pollfd p = { .fd = event_stream_fd(s), .events = POLLIN };
		struct timespec ts;
		uint64_t now, left;
		int r;

		if (take_line(s, e))
			return 1;
		if (s->eof)
			return -1;
		r = fill(s);
		if (r > 0)
			continue;
		if (r < 0) {
			s->eof = true;
			return -1;
		}
		now = lag_now_ns();
		if (now >= deadline_ns)
			return 0;
		/* ppoll: lagrace probes the mount every few hundred us. */
		left = deadline_ns - now;
		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
			return -1;
		if (s->inotify_fd >= 0)
			drain_inotify(s);
	}
}
