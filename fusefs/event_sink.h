/*
 * event_sink: lagfs's asynchronous event-log writer. Request threads hand a
 * formatted line to the sink and return at once; one writer thread writes
 * lines out in order (a lone line on an idle sink the caller writes itself,
 * with a write that cannot wait, when SIGPIPE is ignored). A request is
 * never blocked on disk or pipe IO: when the in-memory buffer is full, the
 * event is dropped and counted.
 *
 * Every event accepted before event_sink_close() is written (or, if the write
 * fails, counted as dropped) by the time it returns.
 */
#ifndef EVENT_SINK_H
#define EVENT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "lag_event.h"

struct event_sink;

/* Write to fd (taken over; closed by event_sink_close). buf_bytes is the
 * buffer size (0: 8 MiB). NULL on failure with errno set. */
struct event_sink *event_sink_open(int fd, size_t buf_bytes);

/* Format and queue e. Never blocks on IO; NULL sink: no-op. */
void event_sink_put(struct event_sink *s, const struct lag_event *e);

/* Write out everything queued, stop the writer, close the fd, free. Waits
 * for the writes: on a blocking pipe whose reader stopped reading, until it
 * reads again or closes its end (EPIPE). */
void event_sink_close(struct event_sink *s);
struct event_sink_stats;
/* The same, and the final counts (after everything was written) in *st. */
void event_sink_close_stats(struct event_sink *s, struct event_sink_stats *st);

struct event_sink_stats {
	uint64_t written;   /* events written */
	uint64_t dropped;   /* events lost: buffer full or write error */
	int last_errno;     /* errno of the last failed write, 0 if none */
};
void event_sink_stats(struct event_sink *s, struct event_sink_stats *st);

#endif
