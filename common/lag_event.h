/*
 * lag_event: the event-log format, the contract between lagfs (writer) and
 * lagrace (reader). Both sides use this module; nothing else may format or
 * parse log lines. The README's "Event log" section documents the same.
 *
 * One event is one JSON object on one line ("JSON Lines"). Every line has
 * all of these keys, in this order:
 *   t_ns      CLOCK_MONOTONIC nanoseconds when lagfs recorded the event
 *   ev        event kind (enum lag_ev_kind below), or the op name of a
 *             delayed or held request when it completes
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
 *   op        op name: on "park" and "interrupt" events (never on an
 *             answer, whose "ev" is the op; read there, it is ignored)
 *   how       how a parked request ended: "delay", "max", "release",
 *             "interrupt", "shutdown" (completion of a parked request)
 *   hold      1 on "park" events of hold rules
 *   detail    free text (start: version; reload: the error; exit: counters;
 *             mark: its text)
 *
 * Event kinds: start (mounted, ready), open, create, flush, release,
 * interrupt (FUSE_INTERRUPT for a parked request), park (a request was
 * delayed or held: it arrived and waits), <op> (a parked request was
 * answered), reload (rules reloaded; result<0: refused, old rules kept),
 * unreleased (at exit: an open that never got its release; its t_ns is the
 * time of the report and the open's own time is in "open_t_ns"), exit (the
 * last line; written when lagfs stops serving), mark (the control
 * channel's "mark TEXT": TEXT in "detail", at lagfs's clock, so that a
 * harness can put its own moments, such as a reap, into the log).
 *   open_t_ns on "unreleased" events only.
 */
#ifndef LAG_EVENT_H
#define LAG_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

/*
 * The event kinds, parsed once from "ev" (lag_event_set_ev) and written
 * back by name. A parked request that was answered has no kind name of its
 * own: its "ev" is the op's name ("read", "write", ...), so it is
 * LAG_EV_ANSWER with the op in lag_event.op. lagfs's op names stay in
 * fusefs/ (the log only carries them as text): any "ev" that is not one of
 * the names below is an answer. The lifecycle ops (open, create, flush,
 * release) keep their own kinds, parked or not; "how" tells a parked one.
 * LAG_EV_ANSWER is 0, so a zeroed event writes "ev":"" as it always did.
 */
enum lag_ev_kind {
	LAG_EV_ANSWER,
	LAG_EV_START,
	LAG_EV_OPEN,
	LAG_EV_CREATE,
	LAG_EV_FLUSH,
	LAG_EV_RELEASE,
	LAG_EV_INTERRUPT,
	LAG_EV_PARK,
	LAG_EV_RELOAD,
	LAG_EV_UNRELEASED,
	LAG_EV_EXIT,
	LAG_EV_MARK,
	LAG_EV_N
};

/* The name of a kind ("park"); NULL for LAG_EV_ANSWER and out of range. */
const char *lag_ev_name(unsigned kind);
/* The kind of a name, or -1 (an op's name, NULL). */
int lag_ev_kind_of(const char *name);
/* The "ev" of an event of this kind and op: the kind's name, or the op
 * for an answer. */
const char *lag_ev_string(unsigned kind, const char *op);

/* The longest path a log line carries; longer ones are cut (and say so). */
#define LAG_PATH_MAX 4096
/* A formatted line never exceeds this (path escaped as \uXXXX + hex copy). */
#define LAG_LINE_MAX (LAG_PATH_MAX * 9 + 1024)

struct lag_event {
	uint64_t t_ns;
	enum lag_ev_kind kind;  /* "ev" */
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
	char op[24];         /* "op"; for LAG_EV_ANSWER the op "ev" names */
	char how[16];
	int hold;
	uint64_t open_t_ns;
	char detail[256];
	int path_cut;        /* set by lag_event_set_path when it cut */
};

/* Zero an event and set t_ns to now and its kind. */
void lag_event_init(struct lag_event *e, enum lag_ev_kind kind);

/* Set kind (and for an answer, op) from an "ev" string: a kind's name, or
 * else an op's (cut to fit op). */
void lag_event_set_ev(struct lag_event *e, const char *ev);
/* The event's "ev" string. */
const char *lag_event_ev(const struct lag_event *e);

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
