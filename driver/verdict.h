/*
 * verdict: what one iteration proved, decided only from lagfs's own events
 * and lagrace's timestamps of the kill and the reap. Pure functions over a
 * recorded event stream, so they are unit-tested on recorded streams.
 *
 * A late release is a "release" event for a file handle that the child
 * opened (an "open"/"create" event with the child's pid) whose t_ns is
 * after the reap: the child was gone, yet its file was still referenced.
 *
 * An iteration is judged on two facts, counted separately: the cause (a
 * late release, with the kernel's word that the mount was busy once the
 * child was reaped) and the symptom generic/388 sees (the first unmount
 * after the reap failed with EBUSY). It reproduces the race only when both
 * hold; verdict_classify() names the other three cases, and makes a
 * release that lagfs never saw an error where the verdict depends on it.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lag_event.h"
#include "race.h"

/* The part of an event the verdict needs; small enough to keep them all. */
struct ev_rec {
	uint64_t t_ns;
	enum lag_ev_kind kind;
	char op[16];                 /* as in struct lag_event */
	char how[16];
	char path[ITER_PATH_LEN];
	int hold;
	int64_t pid;
	uint64_t fh;
	int64_t result;
	uint64_t unique;             /* the FUSE request id */
};

void ev_rec_from(struct ev_rec *r, const struct lag_event *e);

struct verdict_in {
	pid_t child;                 /* whose opens count; 0: every open before
				      * t_reap, if set (a mount only the
				      * workload used: lagrace -- CMD,
				      * lagrace judge) */
	uint64_t t_reap;             /* when waitpid() returned */
	const struct ev_rec *ev;
	size_t n;
};

struct verdict {
	unsigned child_opens;        /* successful opens/creates by the child */
	unsigned released_before;    /* their releases before the reap */
	unsigned released_after;     /* their releases after the reap: late */
	unsigned never_released;     /* neither */
	uint64_t t_first_open;       /* 0 if none */
	uint64_t t_first_io;         /* first park of a request on a child's fh */
	uint64_t t_last_release;     /* latest release of a child's fh, 0 none */
	bool late_release;           /* released_after > 0 */
	uint64_t lateness_ns;        /* t_last_release - t_reap if late */
	unsigned interrupts;         /* interrupts of the child's requests */
	uint64_t t_first_interrupt;  /* 0 if none */
	int64_t io_pid;              /* who sent the first parked IO: the child,
				      * or an io-wq worker's tid */
	uint64_t t_io_done;          /* lagfs answered the first parked IO */
	char io_how[16];             /* how the child's first parked IO ended */
};

void verdict_compute(const struct verdict_in *in, struct verdict *out);

/* What the kernel said, besides lagfs's events. */
struct verdict_obs {
	bool busy_at_reap;           /* MNT_EXPIRE probe after waitpid(): EBUSY
				      * (without a probe: the first unmount's
				      * EBUSY) */
	bool ebusy;                  /* the first unmount after the reap */
};

/*
 * The iteration's class. *cause is set to whether the release was late
 * (even for VC_ERROR, where the events still tell it). VC_ERROR, with the
 * reason in err, when the mount was busy at the reap and lagfs never saw
 * the release of one of the child's files: who held the mount cannot be
 * proven then. When the mount was free at the reap, a release lagfs never
 * saw (the unmount tore the connection down) does not change the verdict:
 * the file was let go before the reap.
 */
enum verdict_class verdict_classify(const struct verdict *v,
				    const struct verdict_obs *o, bool *cause,
				    char *err, size_t errlen);

/*
 * Whether an iteration of class c is what --expect race asks for (and
 * what --bisect calls bad): it reproduces. With --mitigate wait-release or
 * lazy no EBUSY can happen by design; there the late release without
 * EBUSY counts (the race is there, the mitigation hid it).
 */
bool verdict_hit(enum verdict_class c, enum mitigation m);
/* Whether it is what --expect clean asks for: neither cause nor symptom. */
bool verdict_clean(enum verdict_class c);

/* The words for class c: short (JSON: "reproduced", "late_release_only",
 * "ebusy_only", "clean", "error") and for people (iteration lines, TAP,
 * --explain, --svg). */
const char *verdict_key(enum verdict_class c);
const char *verdict_words(enum verdict_class c, enum mitigation m);
/* Parse a verdict_key(); -1 if unknown. */
int verdict_from_key(const char *key);

/* When the child had closed every file it opened, as far as the events go:
 * close() sends FUSE_FLUSH synchronously with the closing task's pid, so t
 * of the last of the child's flushes, one per open; 0 if one is missing
 * (or the child opened nothing). */
uint64_t verdict_child_closed(const struct ev_rec *ev, size_t n, pid_t child);

/* Whether event r concerns a file the child has opened so far (fhs seen). */
bool verdict_fh_is_childs(const struct ev_rec *ev, size_t n, pid_t child,
			  uint64_t fh);

#endif
