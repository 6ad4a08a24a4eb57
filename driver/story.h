/*
 * story: what happened in one iteration, built after it from what it
 * recorded (struct iter_result: lagfs's events of the child's files and
 * lagrace's own timestamps): steps in time order, each with its time
 * relative to the kill, who acted, what happened, and, where it changes,
 * who holds the child's file from then on, and what shows it.
 *
 * --explain prints the story (narrate.c), --svg draws it (svg.c), and
 * `lagrace explain --json FILE --iteration N` rebuilds it from the JSON
 * document, which keeps the same inputs: so the three agree. Every step
 * comes from an event or a timestamp of that iteration; a holder that is
 * inferred rather than seen says "inferred" and from what.
 *
 * Who holds the file (the "focus" file: the one released last, or never):
 *   the child          from its OPEN
 *   the dying child    from the kill, while its descriptor is still open
 *   the IO in flight   from a FLUSH (a close) of the child's while lagfs
 *                      holds an IO on the file
 *   the child's own exit          lagfs answered the IO after the kill and
 *                      the RELEASE came before the reap (or the mount was
 *                      free at the reap)
 *   io_uring fallback, then delayed_fput (inferred)   the IO came
 *                      from an io-wq worker and was answered after the
 *                      kill but before the reap; the RELEASE after it
 *   delayed_fput (inferred)   answered after the reap, RELEASE later
 *   kernel deferred work (inferred)   other ways of the RELEASE coming
 *                      after the reap while the mount was busy
 *   an io_uring ring's registered files   from the child's close of a
 *                      file it registered (iter_result.keeper)
 *   io_uring ring teardown (inferred)   from the reap, while the mount
 *                      is busy: the dying child closed the ring, whose
 *                      teardown runs in a work queue
 *   a message in flight on a unix socket   from the child's close of a
 *                      file it sent in a reference cycle
 *   the unix garbage collector (inferred)   from the reap, while busy
 *   nobody             from the RELEASE, or the MNT_EXPIRE probe that
 *                      found the mount free, whichever came first
 *   unknown            lagfs never saw the RELEASE
 *
 * With the kernel's trace (--trace, struct iter_trace) the story shows
 * what the kernel recorded, each as a "kernel" step: the child's exit,
 * io_uring's completion and task work for the child's ring, and the task
 * that sent each FUSE_FLUSH and FUSE_RELEASE with the
 * kernel stack it came from. The RELEASE's stack then decides the holder
 * before it: where lagfs's events had only inferred it, the step now says
 * what the kernel showed (and who: step.who); where the stack disagrees
 * with the inference, the holder is the stack's, and the RELEASE's step
 * says that this is not the usual story. From the kernel's send of the
 * RELEASE the file is held by nobody.
 */
#ifndef STORY_H
#define STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "race.h"

enum holder { H_SAME = -1, H_CHILD, H_DYING, H_IN_FLIGHT, H_EXIT,
	      H_FALLBACK, H_DELAYED, H_DEFERRED, H_NOBODY, H_UNKNOWN,
	      H_RING, H_RING_TEARDOWN, H_SCM, H_UNIX_GC, H_N };

#define STORY_MAX (ITER_MAX_EV + 16 + KT_MAX_REQ + KT_MAX_MARKS)

struct story_step {
	int64_t t_ns;          /* relative to the kill */
	const char *actor;     /* "lagrace", "lagfs" or "kernel" */
	char text[400];
	int holder;            /* enum holder from here on, or H_SAME */
	char why[320];         /* what shows the holder */
	char who[48];          /* the task the kernel's trace shows holding
				* it ("kworker/1:0, pid 12257"), or "" */
	bool inferred;
	int kind;              /* story.c's own: what the step is */
	int file;              /* the file of an event step, else -1 */
	int ev;                /* its index in r->ev (or, for the kernel's
				* trace, in r->trace.req or .mark), else -1 */
	int seq;               /* order of making: breaks ties of t_ns */
};

struct story {
	int n;
	int focus;             /* index into r->files, -1 if none */
	struct story_step step[STORY_MAX];
};

/* The story of r; s->n is 0 when the iteration never got to the kill. */
void story_build(const struct iter_result *r, enum mitigation m,
		 struct story *s);

/* "the child", "nobody", ... */
const char *story_holder_name(int h);
/* The holder of a step for people: its name, and the task the kernel's
 * trace shows ("delayed_fput, in a kernel thread (kworker/1:0, pid
 * 12257)"). */
const char *story_holder_label(const struct story_step *st, char *buf,
			       size_t cap);

/* The file whose holders a story tells (index into r->files), or -1. */
int story_focus(const struct iter_result *r);
/* The kernel's record of that file's RELEASE (--trace), or NULL. */
const struct ktrace_req *story_release_by(const struct iter_result *r);

#endif
