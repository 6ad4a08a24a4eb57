#include "story.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
/* What a step is, before its words are chosen (in time order). */
enum kind { K_MOUNTED, K_FORK, K_CUE, K_READY, K_KILL, K_HOLD_RELEASED, K_REAP,
	    K_PROBE, K_UMOUNT1, K_FREE, K_UMOUNT_DONE, K_EVENT, K_TRACE_REQ,
	    K_TRACE_MARK };

static const char *const holder_names[H_N] = {
	[H_CHILD] = "the child",
	[H_DYING] = "the dying child",
	[H_IN_FLIGHT] = "the IO in flight",
	[H_EXIT] = "the child's own exit",
	[H_FALLBACK] = "io_uring fallback, then delayed_fput",
	[H_DELAYED] = "delayed_fput, in a kernel thread",
	[H_DEFERRED] = "kernel deferred work",
	[H_NOBODY] = "nobody",
	[H_UNKNOWN] = "unknown",
	[H_RING] = "an io_uring ring's registered files",
	[H_RING_TEARDOWN] = "io_uring ring teardown",
	[H_SCM] = "a message in flight on a unix socket",
	[H_UNIX_GC] = "the unix garbage collector",
};

/* What keeps a file an engine handed to the kernel (enum engine_keeper):
 * after the child's close, and after its exit. */
static const struct {
	int holds, then;
	const char *why, *then_why;
} keepers[KEEPER_N] = {
	[KEEPER_URING_FIXED] = {
		H_RING, H_RING_TEARDOWN,
		"the child registered the file with its io_uring "
		"(io_uring_register_files) before it closed the descriptor",
		"inferred: the child's exit closed its io_uring, the mount is "
		"busy after the reap, and a ring is torn down in a work queue "
		"(io_ring_exit_work)",
	},
	[KEEPER_SCM_CYCLE] = {
		H_SCM, H_UNIX_GC,
		"the child sent the file with SCM_RIGHTS to a unix socket "
		"that the message itself keeps, and never received it",
		"inferred: the child's exit closed the sending socket, the "
		"mount is busy after the reap, and only the unix garbage "
		"collector (a work queue) frees a reference cycle",
	},
};

const char *story_holder_name(int h)
{
	return h >= 0 && h < H_N ? holder_names[h] : "?";
}

const char *story_holder_label(const struct story_step *st, char *buf,
			       size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", story_holder_name(st->holder),
		 st->who[0] ? " (" : "", st->who, st->who[0] ? ")" : "");
	return buf;
}

/* The walk through the sorted steps. */
struct walk {
	const struct iter_result *r;
	enum mitigation m;
	struct story *s;
	int holder;
	bool desc_open, killed;
	int inflight;                /* the focus file's IOs lagfs holds */
	char io_op[12];              /* the op of the focus file's IO */
	int64_t t_free_seen;         /* the probe found the mount free */
	int64_t park_t[ITER_MAX_FILES];
	int worker;                  /* tid of the focus IO's io-wq worker */
	int64_t rel;                 /* the focus file's RELEASE, or INT64_MAX */
	int holder_step;             /* the step that named the holder */
	bool shown;                  /* the kernel's trace showed the work
				      * that holds the focus file */
};

static int64_t rel_kill(const struct iter_result *r, uint64_t t)
{
	return (int64_t)(t - r->t_kill);
}

static double msd(int64_t ns)
{
	return (double)ns / 1e6;
}

static void add(struct story *s, int kind, uint64_t t,
		const struct iter_result *r, int ev)
{
	struct story_step *st;

	if (!t || s->n == STORY_MAX)
		return;
	st = &s->step[s->n++];
	memset(st, 0, sizeof(*st));
	st->t_ns = rel_kill(r, t);
	st->kind = kind;
	st->ev = ev;
	st->file = ev >= 0 ? r->ev[ev].file : -1;
	st->seq = s->n;
	st->holder = H_SAME;
}

__attribute__((format(printf, 3, 4)))
static void say(struct story_step *st, const char *actor, const char *fmt, ...)
{
	va_list ap;

	st->actor = actor;
	va_start(ap, fmt);
	vsnprintf(st->text, sizeof(st->text), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void hold(struct walk *w, struct story_step *st, int h,
		 const char *fmt, ...)
{
	va_list ap;

	if (h == w->holder)
		return;
	w->holder = h;
	w->holder_step = (int)(st - w->s->step);
	st->holder = h;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	st->inferred = !strncmp(st->why, "inferred", 8);
}

static int cmp_step(const void *a, const void *b)
{
	const struct story_step *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->seq - y->seq; /* qsort is not stable */
}

/* The file whose holders are told: one lagfs never released, else the
 * one released last. */
static int pick_focus(const struct iter_result *r)
{
	uint64_t last[ITER_MAX_FILES] = { 0 };
	bool never[ITER_MAX_FILES];
	int best = -1;

	for (int f = 0; f < r->n_files; f++)
		never[f] = true;
	for (int i = 0; i < r->n_ev; i++) {
		const struct iter_ev *e = &r->ev[i];

		if (e->file >= r->n_files)
			continue;
		if (e->kind == LAG_EV_RELEASE) {
			never[e->file] = false;
			last[e->file] = e->t_ns;
		}
	}
	for (int f = 0; f < r->n_files; f++) {
		if (never[f])
			return f;
		if (best < 0 || last[f] > last[best])
			best = f;
	}
	return best;
}

int story_focus(const struct iter_result *r)
{
	return pick_focus(r);
}

const struct ktrace_req *story_release_by(const struct iter_result *r)
{
	int f = pick_focus(r);

	return f < 0 ? NULL : ktrace_find(&r->trace, LAG_EV_RELEASE, f);
}

static const char *who(const struct walk *w, int32_t pid)
{
	static char buf[48];

	if (pid == w->r->child)
		return w->killed ? "the dying child" : "the child";
	snprintf(buf, sizeof(buf), "pid %d", (int)pid);
	return buf;
}

/* Who holds the focus file once lagfs has answered its last IO, from what
 * came after: the RELEASE and the reap. */
static void answered(struct walk *w, struct story_step *st,
		     const struct iter_ev *e)
{
	const struct iter_result *r = w->r;
	int64_t t = st->t_ns, reap = r->t_reap ? rel_kill(r, r->t_reap)
					       : INT64_MAX;
	bool free_at_reap = r->t_probe_reap && !r->busy_at_reap;

	if (!w->killed || (w->holder != H_IN_FLIGHT && w->holder != H_DYING))
		return;
	if (w->rel <= reap)
		hold(w, st, H_EXIT, "lagfs answered the %s after the kill, and "
		     "the RELEASE came %.3f ms later, before the reap", e->op,
		     msd(w->rel - t));
	else if (free_at_reap)
		hold(w, st, H_EXIT, "lagfs answered the %s after the kill, and "
		     "the MNT_EXPIRE probe found the mount free at the reap",
		     e->op);
	else if (w->worker && t < reap && w->rel != INT64_MAX)
		hold(w, st, H_FALLBACK, "inferred: %s %d's %s was answered "
		     "after the kill and before the reap, and the RELEASE came "
		     "after the reap", r->workload ? "pid" : "io-wq worker",
		     w->worker, e->op);
	else if (t >= reap && w->rel != INT64_MAX)
		hold(w, st, H_DELAYED, "inferred: lagfs answered the %s %.3f ms "
		     "after the reap, and the RELEASE came %.3f ms after that",
		     e->op, msd(t - reap), msd(w->rel - t));
	else if (w->rel != INT64_MAX)
		hold(w, st, H_DEFERRED, "inferred: lagfs answered the %s before "
		     "the reap, and the RELEASE came after it", e->op);
	else
		hold(w, st, H_UNKNOWN, "lagfs answered the %s, and never saw "
		     "the RELEASE", e->op);
}

/* The steps of lagfs's events, one function a kind (event_steps[]). */

static bool is_focus(const struct walk *w, const struct iter_ev *e)
{
	return e->file == w->s->focus;
}

static void ev_open(struct walk *w, struct story_step *st,
		    const struct iter_ev *e)
{
	say(st, "lagfs", "%s %s by %s", e->kind == LAG_EV_OPEN ? "OPEN"
	    : "CREATE", w->r->files[e->file], who(w, e->pid));
	if (is_focus(w, e)) {
		w->desc_open = true;
		hold(w, st, H_CHILD, "its open file descriptor");
	}
}

static void ev_park(struct walk *w, struct story_step *st,
		    const struct iter_ev *e)
{
	const char *path = w->r->files[e->file];

	w->park_t[e->file] = st->t_ns;
	if (e->pid == w->r->child)
		say(st, "lagfs", "%s of %s arrived from the child; lagfs "
		    "%s it", e->op, path, e->hold ? "holds" : "delays");
	else if (w->r->workload)
		say(st, "lagfs", "%s of %s arrived from pid %d of the "
		    "workload; lagfs %s it", e->op, path, (int)e->pid,
		    e->hold ? "holds" : "delays");
	else
		say(st, "lagfs", "%s of %s arrived from io-wq worker %d "
		    "(not the child's pid); lagfs %s it", e->op, path,
		    (int)e->pid, e->hold ? "holds" : "delays");
	if (is_focus(w, e)) {
		if (!w->inflight)
			snprintf(w->io_op, sizeof(w->io_op), "%s", e->op);
		w->inflight++;
	}
}

static void ev_interrupt(struct walk *w, struct story_step *st,
			 const struct iter_ev *e)
{
	say(st, "kernel", "FUSE_INTERRUPT for the held %s: the kill "
	    "reached the thread waiting for it (%s)", e->op,
	    e->pid == w->r->child ? "the child" : w->r->workload ?
	    "a process of the workload" : "its io-wq worker");
}

static void ev_answer(struct walk *w, struct story_step *st,
		      const struct iter_ev *e)
{
	say(st, "lagfs", "answered the held %s (%s, result %d), %.3f ms "
	    "after it arrived", e->op, e->how, (int)e->result,
	    msd(st->t_ns - w->park_t[e->file]));
	if (is_focus(w, e) && w->inflight && --w->inflight == 0)
		answered(w, st, e);
}

static void ev_flush(struct walk *w, struct story_step *st,
		     const struct iter_ev *e)
{
	const char *path = w->r->files[e->file];

	if (e->pid == w->r->child && !w->killed)
		say(st, "lagfs", "FLUSH of %s by the child: it closed its "
		    "descriptor", path);
	else if (e->pid == w->r->child)
		say(st, "lagfs", "FLUSH of %s by the dying child: its exit "
		    "closed the descriptor", path);
	else
		say(st, "lagfs", "FLUSH of %s by pid %d: a close", path,
		    (int)e->pid);
	if (!is_focus(w, e))
		return;
	w->desc_open = false;
	if (w->r->keeper && w->r->keeper < KEEPER_N && !w->killed &&
	    w->holder == H_CHILD)
		hold(w, st, keepers[w->r->keeper].holds, "%s",
		     keepers[w->r->keeper].why);
	if (w->inflight && (w->holder == H_CHILD || w->holder == H_DYING))
		hold(w, st, H_IN_FLIGHT, "%s closed its descriptor while "
		     "lagfs held its %s", w->killed ? "the dying child's "
		     "exit" : "the child", w->io_op);
}

static void ev_release(struct walk *w, struct story_step *st,
		       const struct iter_ev *e)
{
	const struct iter_result *r = w->r;
	const char *path = r->files[e->file];
	int64_t reap = r->t_reap ? rel_kill(r, r->t_reap) : 0;

	if (!r->t_reap)
		say(st, "lagfs", "RELEASE of %s: the last reference is "
		    "gone", path);
	else
		say(st, "lagfs", "RELEASE of %s: the last reference is "
		    "gone, %.3f ms %s the reap", path,
		    msd(st->t_ns > reap ? st->t_ns - reap : reap - st->t_ns),
		    st->t_ns > reap ? "after" : "before");
	if (!is_focus(w, e))
		return;
	if (w->holder == H_NOBODY && w->t_free_seen != INT64_MIN)
		snprintf(st->text + strlen(st->text),
			 sizeof(st->text) - strlen(st->text),
			 "; the mount was free %.3f ms before: FUSE "
			 "sends RELEASE after the last fput",
			 msd(st->t_ns - w->t_free_seen));
	hold(w, st, H_NOBODY, "lagfs logged the RELEASE");
}

static void ev_unreleased(struct walk *w, struct story_step *st,
			  const struct iter_ev *e)
{
	say(st, "lagfs", "the mount ended without a RELEASE of %s",
	    w->r->files[e->file]);
	if (is_focus(w, e) && w->holder != H_NOBODY)
		hold(w, st, H_UNKNOWN, "lagfs never saw the RELEASE: the "
		     "unmount ended the connection first");
}

static void (*const event_steps[LAG_EV_N])(struct walk *w,
					    struct story_step *st,
					    const struct iter_ev *e) = {
	[LAG_EV_OPEN] = ev_open, [LAG_EV_CREATE] = ev_open,
	[LAG_EV_PARK] = ev_park, [LAG_EV_INTERRUPT] = ev_interrupt,
	[LAG_EV_ANSWER] = ev_answer, [LAG_EV_FLUSH] = ev_flush,
	[LAG_EV_RELEASE] = ev_release, [LAG_EV_UNRELEASED] = ev_unreleased,
};

static void event_step(struct walk *w, struct story_step *st,
		       const struct iter_ev *e)
{
	if (e->kind < LAG_EV_N && event_steps[e->kind])
		event_steps[e->kind](w, st, e);
}

static const char *errname_or_ok(int e)
{
	const char *s = e ? strerrorname_np(e) : "ok";

	return s ? s : "error";
}

static void hold_released(struct walk *w, struct story_step *st)
{
	const struct iter_result *r = w->r;

	switch (r->hold_why) {
	case HOLD_AFTER_EBUSY:
		say(st, "lagrace", "tells lagfs to release the held request, "
		    "%.3f ms after the EBUSY",
		    msd((int64_t)(r->t_hold_released - r->t_umount1)));
		break;
	case HOLD_CHILD_EXITING:
		say(st, "lagrace", "sees the killed child wait in io_uring code "
		    "(/proc: state D): tells lagfs to release the held request");
		break;
	case HOLD_REAP_BLOCKED:
		say(st, "lagrace", "the child is not reaped %.0f ms after the "
		    "kill: tells lagfs to release the held request",
		    msd(st->t_ns));
		break;
	case HOLD_WAIT_RELEASE:
		say(st, "lagrace", "tells lagfs to release the held request; "
		    "wait-release waits for every RELEASE before it unmounts");
		break;
	case HOLD_LAZY:
		say(st, "lagrace", "tells lagfs to release the held request, "
		    "after the lazy unmount");
		break;
	default:
		say(st, "lagrace", "tells lagfs to release the held request");
	}
}

/* Is the focus file released by t (relative to the kill)? */
static bool released_by(const struct walk *w, int64_t t)
{
	return w->rel <= t;
}

/* The child is reaped and the mount is busy: whoever held the file
 * through the child has let it go, and lagfs has not seen the RELEASE,
 * so kernel deferred work holds it. */
static void busy_after_reap(struct walk *w, struct story_step *st)
{
	int k = w->r->keeper < KEEPER_N ? w->r->keeper : KEEPER_NONE;

	if (k && w->holder == keepers[k].holds && !released_by(w, st->t_ns)) {
		hold(w, st, keepers[k].then, "%s", keepers[k].then_why);
		return;
	}
	if ((w->holder == H_CHILD || w->holder == H_DYING ||
	     w->holder == H_EXIT) && !released_by(w, st->t_ns))
		hold(w, st, H_DEFERRED, "inferred: the child is reaped, the "
		     "mount is busy, and lagfs has not seen the RELEASE");
}

/* A signals_ready engine's byte: without lagfs (another filesystem) the
 * child's word is all there is to say who holds the file. */
static void step_ready(struct walk *w, struct story_step *st)
{
	int k = w->r->keeper < KEEPER_N ? w->r->keeper : KEEPER_NONE;

	say(st, "lagrace", "the child says it has handed its file over and "
	    "closed the descriptor");
	if (k && (w->holder == H_SAME || w->holder == H_CHILD))
		hold(w, st, keepers[k].holds, "%s (the child's word)",
		     keepers[k].why);
}

static void step_kill(struct walk *w, struct story_step *st)
{
	w->killed = true;
	if (w->inflight)
		say(st, "lagrace", "SIGKILL to the child, while lagfs holds "
		    "its %s", w->io_op);
	else
		say(st, "lagrace", "SIGKILL to the child");
	if (w->desc_open && w->holder == H_CHILD)
		hold(w, st, H_DYING, "its descriptor is still open%s%s",
		     w->inflight ? ", and lagfs holds its " : "",
		     w->inflight ? w->io_op : "");
}

static void step_probe(struct walk *w, struct story_step *st)
{
	if (w->r->busy_at_reap) {
		say(st, "lagrace", "MNT_EXPIRE probe: the mount is BUSY, "
		    "though the child is gone");
		busy_after_reap(w, st);
		return;
	}
	say(st, "lagrace", "MNT_EXPIRE probe: the mount is free");
	w->t_free_seen = st->t_ns;
	if (w->holder != H_NOBODY && w->holder >= 0)
		hold(w, st, H_NOBODY, "the MNT_EXPIRE probe found the mount "
		     "free");
}

static void step_umount1(struct walk *w, struct story_step *st)
{
	const struct iter_result *r = w->r;

	if (w->m == MIT_LAZY)
		say(st, "lagrace", "umount2(MNT_DETACH): %s",
		    errname_or_ok(r->umount1_errno));
	else if (w->m == MIT_WAIT_RELEASE)
		say(st, "lagrace", "unmount, %s: %s",
		    released_by(w, st->t_ns) ? "once lagfs has logged "
		    "the RELEASE" : "though no RELEASE came in time",
		    errname_or_ok(r->umount1_errno));
	else
		say(st, "lagrace", "unmount at once: %s",
		    errname_or_ok(r->umount1_errno));
	/* through fusermount3 no probe came first: the EBUSY says it */
	if (!r->t_probe_reap && r->ebusy)
		busy_after_reap(w, st);
}

static void step_free(struct walk *w, struct story_step *st)
{
	const struct iter_result *r = w->r;
	double after = msd((int64_t)(r->t_free - r->t_umount1));

	if (w->m == MIT_RETRY && r->t_free == r->t_umount_done)
		say(st, "lagrace", "a retried unmount: ok, after %u retries, "
		    "%.3f ms after the EBUSY", r->retries, after);
	else if (r->fusermount)
		say(st, "lagrace", "lagfs has logged every RELEASE, %.3f ms "
		    "after the EBUSY (no MNT_EXPIRE probe through "
		    "fusermount3)", after);
	else
		say(st, "lagrace", "MNT_EXPIRE probe: the mount is free "
		    "(EAGAIN), %.3f ms after the EBUSY", after);
	if (w->t_free_seen == INT64_MIN)
		w->t_free_seen = st->t_ns;
	if (w->holder != H_NOBODY && w->holder >= 0 && !r->fusermount)
		hold(w, st, H_NOBODY, "the MNT_EXPIRE probe found the mount "
		     "free");
}

/* ---- what the kernel's trace showed (--trace) ---- */

static const char *const op_names[] = {
	[LAG_EV_RELEASE] = "RELEASE", [LAG_EV_FLUSH] = "FLUSH",
};

/* "kworker/1:0 (pid 12257)", "the child (pid 4121)", "its io-wq worker
 * iou-wrk-4121 (pid 4125)" */
static const char *task_words(const struct walk *w, const char *comm,
			      int32_t pid, char *buf, size_t cap)
{
	char worker[32];

	snprintf(worker, sizeof(worker), "iou-wrk-%d", (int)w->r->child);
	if (pid == w->r->child)
		snprintf(buf, cap, "%s (pid %d)", w->killed ? "the dying child"
			 : "the child", (int)pid);
	else if (!strncmp(comm, worker, strlen(worker)))
		snprintf(buf, cap, "its io-wq worker %s (pid %d)", comm,
			 (int)pid);
	else
		snprintf(buf, cap, "%s (pid %d)", comm, (int)pid);
	return buf;
}

/* The holder the RELEASE's stack shows, and whether holder h (inferred
 * from lagfs's events) tells the same story. */
static int traced_holder(const struct walk *w, const struct ktrace_req *q,
			 int h, bool *agrees)
{
	char path[64];

	ktrace_path(q->stack, path, sizeof(path));
	if (q->pid == w->r->child) {
		*agrees = h == H_CHILD || h == H_DYING || h == H_EXIT;
		return h == H_CHILD ? H_CHILD : H_EXIT;
	}
	if (!strcmp(path, "delayed_fput")) {
		/* the stack starts at delayed_fput: an io_uring fallback, a
		 * ring's teardown or the unix collector before it is not on
		 * it, and not against it either */
		bool before = h == H_FALLBACK || h == H_RING_TEARDOWN ||
			      h == H_UNIX_GC;

		*agrees = before || h == H_DELAYED || h == H_DEFERRED;
		return before ? h : H_DELAYED;
	}
	if (!strcmp(path, "io_fallback_req_func")) {
		*agrees = h == H_FALLBACK || h == H_DEFERRED;
		return H_FALLBACK;
	}
	if (!strcmp(path, "fuse_readpages_end")) {
		/* a readahead of the page cache held the last reference, and
		 * lagfs's answer to it dropped it */
		*agrees = h == H_IN_FLIGHT || h == H_DEFERRED;
		return H_IN_FLIGHT;
	}
	*agrees = h == H_DEFERRED;
	return H_DEFERRED;
}

/* The RELEASE of the focus file, as the kernel sent it: the holder before
 * it is what the stack shows. */
static void traced_release(struct walk *w, struct story_step *st,
			   const struct ktrace_req *q, const char *sent)
{
	struct story_step *hs = w->holder_step >= 0 ?
				&w->s->step[w->holder_step] : NULL;
	char path[64];
	bool agrees;
	int h;

	if (!hs || w->holder == H_NOBODY || w->holder == H_UNKNOWN)
		return;
	if (w->shown) {
		/* the holder's work was seen itself: the RELEASE ends it */
		hold(w, st, H_NOBODY, "the kernel sent the RELEASE: the last "
		     "reference is gone");
		return;
	}
	h = traced_holder(w, q, w->holder, &agrees);
	ktrace_path(q->stack, path, sizeof(path));
	snprintf(hs->who, sizeof(hs->who), "%s, pid %d", q->comm, (int)q->pid);
	if (agrees) {
		char was[sizeof(hs->why)];
		const char *p = hs->why;

		if (!strncmp(p, "inferred: ", 10))
			p += 10;
		snprintf(was, sizeof(was), "%s", p);
		if (h != H_DELAYED && !strcmp(path, "delayed_fput"))
			/* the work that dropped the reference queued the
			 * fput, and is gone from the stack by the time
			 * delayed_fput runs */
			snprintf(hs->why, sizeof(hs->why), "the kernel's trace "
				 "shows it: %s; the %s before it is inferred: "
				 "%s", sent, h == H_FALLBACK ? "io_uring "
				 "fallback" : h == H_UNIX_GC ? "unix garbage "
				 "collector" : story_holder_name(h), was);
		else
			snprintf(hs->why, sizeof(hs->why), "the kernel's trace "
				 "shows it: %s (and lagfs's events: %s)", sent,
				 was);
		hs->holder = h;
	} else {
		snprintf(st->text + strlen(st->text),
			 sizeof(st->text) - strlen(st->text), "; this is not "
			 "the usual story: lagfs's events alone suggested %s",
			 story_holder_name(hs->holder));
		snprintf(hs->why, sizeof(hs->why), "the kernel's trace shows it: "
			 "%s (lagfs's events alone suggested %s)", sent,
			 story_holder_name(hs->holder));
		hs->holder = h;
	}
	hs->inferred = false;
	w->holder = h;
	hold(w, st, H_NOBODY, "the kernel sent the RELEASE: the last "
	     "reference is gone");
}

static void trace_req_step(struct walk *w, struct story_step *st,
			   const struct ktrace_req *q)
{
	char task[96], path[64], stack[300], sent[200];
	const char *op = q->kind < ARRAY_SIZE(op_names) && op_names[q->kind]
			 ? op_names[q->kind] : "request";
	const char *file = q->file < w->r->n_files ? w->r->files[q->file] : "?";

	task_words(w, q->comm, q->pid, task, sizeof(task));
	ktrace_path(q->stack, path, sizeof(path));
	ktrace_stack_words(q->stack, 6, stack, sizeof(stack));
	snprintf(sent, sizeof(sent), "%s sent the %s from %s", task, op,
		 *path ? path : "an unnamed path");
	say(st, "kernel", "the kernel shows the %s of %s was sent by %s, "
	    "from %s: %s", op, file, task, *path ? path : "?", stack);
	if (q->kind == LAG_EV_RELEASE && (int)q->file == w->s->focus)
		traced_release(w, st, q, sent);
}

/* What each mark says; "%s" is the task it happened in. */
static const char *const mark_words[KT_MARK_N] = {
	[KT_EXIT] = "the child's exit begins (sched_process_exit)",
	[KT_WORKER_EXIT] = "%s exits",
	[KT_URING_PUNT] = "io_uring hands the child's request to an io-wq "
			  "worker (io_uring_queue_async_work)",
	[KT_URING_TASK_ADD] = "io_uring queues task work for the child's "
			      "ring, in %s",
	[KT_URING_TW_RUN] = "io_uring task work runs in %s",
	[KT_RING_EXIT_WORK] = "io_uring begins to tear the child's ring "
			      "down: io_ring_exit_work runs in %s",
	[KT_UNIX_GC] = "the unix garbage collector runs (__unix_gc), in %s",
};

/* The mark that shows a keeper's work, and the holder it shows. */
static const struct { int mark, holds, then; const char *fn; } shown_by[] = {
	{ KT_RING_EXIT_WORK, H_RING, H_RING_TEARDOWN, "io_ring_exit_work" },
	{ KT_UNIX_GC, H_SCM, H_UNIX_GC, "__unix_gc" },
};

/* A ring's teardown or the collector, seen where lagfs's events and the
 * probe could only infer it. */
static void shown_holder(struct walk *w, struct story_step *st,
			 const struct ktrace_mark *m, const char *task)
{
	struct story_step *hs;

	for (size_t i = 0; i < ARRAY_SIZE(shown_by); i++) {
		if (m->kind != shown_by[i].mark || w->shown ||
		    (w->holder != shown_by[i].holds &&
		     w->holder != shown_by[i].then) ||
		    released_by(w, st->t_ns))
			continue;
		w->shown = true;
		if (w->holder == shown_by[i].holds) {
			hold(w, st, shown_by[i].then, "the kernel's trace shows "
			     "it: %s runs in %s", shown_by[i].fn, task);
			hs = st;
		} else {
			/* inferred before, at the reap: now seen */
			hs = &w->s->step[w->holder_step];
			snprintf(hs->why, sizeof(hs->why), "the kernel's trace "
				 "shows it: %s runs in %s, %.3f ms later",
				 shown_by[i].fn, task,
				 msd(st->t_ns - hs->t_ns));
			hs->inferred = false;
		}
		snprintf(hs->who, sizeof(hs->who), "%s, pid %d", m->comm,
			 (int)m->pid);
	}
}

static void trace_mark_step(struct walk *w, struct story_step *st,
			    const struct ktrace_mark *m)
{
	char task[96];

	task_words(w, m->comm, m->pid, task, sizeof(task));
	if (m->kind != KT_URING_COMPLETE) {
		say(st, "kernel", mark_words[m->kind], task);
		shown_holder(w, st, m, task);
		return;
	}
	say(st, "kernel", "io_uring completes the child's request (result "
	    "%d) in %s%s", (int)m->res, task, w->killed &&
	    m->pid != w->r->child && !strncmp(m->comm, "kworker/", 8)
	    ? ": the dying child's completion runs in a kernel worker" : "");
}

static void lagrace_step(struct walk *w, struct story_step *st)
{
	const struct iter_result *r = w->r;

	switch (st->kind) {
	case K_MOUNTED:
		if (r->fs == FS_TMPFS)
			say(st, "lagrace", "mounts a fresh tmpfs for this "
			    "iteration (no filesystem events)");
		else if (r->fs == FS_DIR)
			say(st, "lagrace", "bind-mounts its directory in "
			    "--fs-dir for this iteration (no filesystem "
			    "events)");
		else
			say(st, "lagfs", "is mounted afresh for this iteration");
		break;
	case K_FORK:
		say(st, "lagrace", "forked the child (pid %d)", (int)r->child);
		break;
	case K_CUE:
		say(st, "lagrace", "tells the child to close its files");
		break;
	case K_READY: step_ready(w, st); break;
	case K_KILL: step_kill(w, st); break;
	case K_HOLD_RELEASED: hold_released(w, st); break;
	case K_REAP:
		say(st, "lagrace", "waitpid() returned: the child is dead and "
		    "reaped, %.3f ms after the kill", msd(st->t_ns));
		break;
	case K_PROBE: step_probe(w, st); break;
	case K_UMOUNT1: step_umount1(w, st); break;
	case K_FREE: step_free(w, st); break;
	case K_UMOUNT_DONE:
		say(st, "lagrace", "%s", r->umount_ok ? "unmount: ok, for real"
		    : "unmount: still busy; lagrace detaches it");
		break;
	}
}

/* The steps of the kernel's trace: its requests of the child's files and
 * its marks. */
static void add_trace(struct story *s, const struct iter_result *r)
{
	const struct iter_trace *t = &r->trace;

	for (int i = 0; i < t->n_req && i < KT_MAX_REQ; i++) {
		int n = s->n;

		if (t->req[i].file >= r->n_files)
			continue;
		add(s, K_TRACE_REQ, t->req[i].t_ns, r, -1);
		if (s->n > n) {
			s->step[n].ev = i;
			s->step[n].file = t->req[i].file;
		}
	}
	for (int i = 0; i < t->n_marks && i < KT_MAX_MARKS; i++) {
		int n = s->n;

		if (t->mark[i].kind >= KT_MARK_N)
			continue;
		add(s, K_TRACE_MARK, t->mark[i].t_ns, r, -1);
		if (s->n > n)
			s->step[n].ev = i;
	}
}

void story_build(const struct iter_result *r, enum mitigation m,
		 struct story *s)
{
	struct walk w = { .r = r, .m = m, .s = s, .holder = H_SAME,
			  .t_free_seen = INT64_MIN, .rel = INT64_MAX,
			  .holder_step = -1 };

	memset(s, 0, sizeof(*s));
	s->focus = -1;
	if (!r->t_kill)
		return;
	s->focus = pick_focus(r);
	add(s, K_MOUNTED, r->t_mounted, r, -1);
	add(s, K_FORK, r->t_fork, r, -1);
	add(s, K_CUE, r->t_cue, r, -1);
	add(s, K_READY, r->t_ready, r, -1);
	add(s, K_KILL, r->t_kill, r, -1);
	add(s, K_HOLD_RELEASED, r->t_hold_released, r, -1);
	add(s, K_REAP, r->t_reap, r, -1);
	add(s, K_PROBE, r->t_probe_reap, r, -1);
	add(s, K_UMOUNT1, r->t_umount1, r, -1);
	add(s, K_FREE, r->ebusy ? r->t_free : 0, r, -1);
	if (r->t_umount_done != r->t_umount1 &&
	    !(m == MIT_RETRY && r->t_umount_done == r->t_free))
		add(s, K_UMOUNT_DONE, r->t_umount_done, r, -1);
	for (int i = 0; i < r->n_ev && s->n < STORY_MAX; i++) {
		const struct iter_ev *e = &r->ev[i];

		if (e->file >= r->n_files || !iter_ev_kind_ok(e->kind))
			continue;
		if ((int)e->file == s->focus) {
			if (e->kind == LAG_EV_RELEASE && w.rel == INT64_MAX)
				w.rel = rel_kill(r, e->t_ns);
			if (e->kind == LAG_EV_PARK && !w.worker &&
			    e->pid != r->child)
				w.worker = e->pid;
		}
		add(s, K_EVENT, e->t_ns, r, i);
	}
	add_trace(s, r);
	qsort(s->step, (size_t)s->n, sizeof(s->step[0]), cmp_step);
	for (int i = 0; i < s->n; i++) {
		struct story_step *st = &s->step[i];

		if (st->kind == K_EVENT)
			event_step(&w, st, &r->ev[st->ev]);
		else if (st->kind == K_TRACE_REQ)
			trace_req_step(&w, st, &r->trace.req[st->ev]);
		else if (st->kind == K_TRACE_MARK)
			trace_mark_step(&w, st, &r->trace.mark[st->ev]);
		else
			lagrace_step(&w, st);
	}
}
