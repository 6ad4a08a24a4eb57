/*
 * event_stream: lagfs's events as lagrace sees them, read from the pipe
 * lagfs writes its log to (--log-fd), or by following a log file that a
 * lagfs started by someone else writes (--mount). Lines are parsed with
 * lag_event_parse, the reader of the shared format.
 */
#ifndef EVENT_STREAM_H
#define EVENT_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "lag_event.h"

struct event_stream;

/* Read from fd (taken over). follow: fd is a regular file that grows (wait
 * with inotify at its end, path needed), else a pipe (EOF ends it). */
struct event_stream *event_stream_open(int fd, bool follow, const char *path);
void event_stream_close(struct event_stream *s);

/*
 * The next event, waiting at most until deadline_ns (CLOCK_MONOTONIC; 0: do
 * not wait). Returns 1 with *e filled, 0 on timeout, -1 at end of stream
 * (lagfs closed its log) or on error (errno set; a line that does not parse
 * is skipped and counted, not an error).
 */
int event_stream_next(struct event_stream *s, struct lag_event *e,
		      uint64_t deadline_ns);

/* The fd to poll() for readability along with other fds. */
int event_stream_fd(const struct event_stream *s);
/* Lines that did not parse. */
unsigned long event_stream_bad_lines(const struct event_stream *s);

#endif
