/*
 * lag_event: the event-log format, the contract between lagfs (writer) and
 * lagrace (reader). Both sides use this module; nothing else may format or
 * parse log lines. The README's "Event log" section documents the same.
 *
 * One event is one JSON object on one line ("JSON Lines"). Every line has
 * all of these keys, in this order:
 *   t_ns      CLOCK_MONOTONIC nanoseconds when lagfs recorded the event
 *   ev        event kind (see LAG_EV_* below), or the op name of a delayed
 *             or held request when it completes
 *   unique    FUSE request id (0 when there is no request)
 *   pid       pid the kernel reported with the request (RELEASE: usually 0;
 *             io-wq: the worker's tid); lagfs's own pid for start/exit
 *   uid       uid the kernel reported
 *   ino       lagfs's number for the inode (0 if none): 1 the root, others
 *             2, 3, ... as lagfs first meets them; kept while the kernel
 *             knows the inode, never given twice while lagfs runs. For an
 *             op on a name (lookup, mkdir, ...) the parent directory's; for
 *             create, the created file's. Not the FUSE nodeid
 *   fh        lagfs's number for the open file or directory (0 if none):
 *             1, 2, ... in order of opening, never given twice while lagfs
 *             runs (not across --remount either), so an open and its
 *             release carry the same fh and no other open does
 *   path      path below the mount root, starting with "/"; always valid
 *             UTF-8: bytes that are not valid UTF-8 are written as U+FFFD
 *             and then the exact bytes are in "path_hex"
 *   flags     open(2) flags for open/create/park-of-open; 0 otherwise
 *   result    0 or a negative errno
 *   delay_ns  delay applied (completion events) or planned (park events);
 *             for a hold without a limit, the planned delay is -1
 * Optional keys, present only where they mean something:
 *   path_hex  hex of the raw path bytes when "path" is lossy
 *   path_cut  1 when the path was longer than LAG_PATH_MAX and was cut
 *   op        op name: on "park" and "interrupt" events
 *   how       how a parked request ended: "delay", "max", "release",
 *             "interrupt", "shutdown" (completion of a parked request)
 *   hold      1 on "park" events of hold rules
 *   detail    free text (start: version; reload: the error; exit: counters)
 *
 * Event kinds: start (mounted, ready), open, create, flush, release,
 * interrupt (FUSE_INTERRUPT for a parked request), park (a request was
 * delayed or held: it arrived and waits), <op> (a parked request was
 * answered), reload (rules reloaded; result<0: refused, old rules kept),
 * unreleased (at exit: an open that never got its release; its t_ns is the
 * time of the report and the open's own time is in "open_t_ns"), exit (the
 * last line; written when lagfs stops serving).
 *   open_t_ns on "unreleased" events only.
 */
#ifndef LAG_EVENT_H
#define LAG_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

#define LAG_EV_START "start"
#define LAG_EV_OPEN "open"
#define LAG_EV_CREATE "create"
#define LAG_EV_FLUSH "flush"
#define LAG_EV_RELEASE "release"
#define LAG_EV_INTERRUPT "interrupt"
#define LAG_EV_PARK "park"
#define LAG_EV_RELOAD "reload"
#define LAG_EV_UNRELEASED "unreleased"
#define LAG_EV_EXIT "exit"

/* The longest path a log line carries; longer ones are cut (and say so). */
#define LAG_PATH_MAX 4096
/* A formatted line never exceeds this (path escaped as \uXXXX + hex copy). */
#define LAG_LINE_MAX (LAG_PATH_MAX * 9 + 1024)

struct lag_event {
	uint64_t t_ns;
	char ev[24];
	uint64_t unique;
	int64_t pid;
	uint32_t uid;
	uint64_t ino;
	uint64_t fh;
	char path[LAG_PATH_MAX + 1]; /* raw bytes, NUL-terminated */
	size_t path_len;
	int64_t flags;
	int64_t result;
	int64_t delay_ns;
	/* optional: empty string / 0 when absent */
	char op[24];
	char how[16];
	int hold;
	uint64_t open_t_ns;
	char detail[256];
	int path_cut;        /* set by lag_event_set_path when it cut */
};

/* Zero an event and set t_ns to now and ev to kind. */
void lag_event_init(struct lag_event *e, const char *kind);

/* Set e->path from raw bytes (cut at LAG_PATH_MAX). */
void lag_event_set_path(struct lag_event *e, const char *path, size_t len);

/*
 * Format e as one JSON line ending in '\n' into buf (cap >= LAG_LINE_MAX is
 * always enough). Returns the length written (no NUL counted), or 0 if cap
 * is too small.
 */
size_t lag_event_format(const struct lag_event *e, char *buf, size_t cap);

/*
 * Parse one line (with or without its '\n') into e. Returns 0, or -1 with a
 * one-line reason in err (e.g. "missing key 'fh'", "not JSON: ...").
 * Unknown keys are ignored, so the format can grow.
 */
int lag_event_parse(const char *line, size_t len, struct lag_event *e,
		    char *err, size_t errlen);

#endif
