#include "verdict.h"

#include "base.h"

#include <stdio.h>
#include <string.h>

void ev_rec_from(struct ev_rec *r, const struct lag_event *e)
{
	r->t_ns = e->t_ns;
	r->kind = e->kind;
	snprintf(r->op, sizeof(r->op), "%s", e->op);
	snprintf(r->how, sizeof(r->how), "%s", e->how);
	snprintf(r->path, sizeof(r->path), "%s", e->path);
	r->hold = e->hold;
	r->pid = e->pid;
	r->fh = e->fh;
	r->result = e->result;
	r->unique = e->unique;
}

static bool is_open(const struct ev_rec *r)
{
	return (r->kind == LAG_EV_OPEN || r->kind == LAG_EV_CREATE) &&
	       r->result == 0;
}

/* r answers a parked request of op: an answer, or open, create, flush or
 * release, which have their own kinds; how says how it ended. */
static bool answers(const struct ev_rec *r, const char *op)
{
	return r->how[0] && !strcmp(lag_ev_string(r->kind, r->op), op);
}

/* child 0: anyone's open (see struct verdict_in) */
static bool by_child(const struct ev_rec *r, pid_t child)
{
	return child == 0 || r->pid == child;
}

bool verdict_fh_is_childs(const struct ev_rec *ev, size_t n, pid_t child,
			  uint64_t fh)
{
	for (size_t i = 0; i < n; i++)
		if (is_open(&ev[i]) && by_child(&ev[i], child) && ev[i].fh == fh)
			return true;
	return false;
}

/*
 * An fh can be reused once released, so an event on it belongs to the open
 * at open_idx only until the fh is opened again: the first event of kind
 * (by pid, if pid >= 0) in between, or NULL.
 */
static const struct ev_rec *next_on_fh(const struct ev_rec *ev, size_t n,
				       size_t open_idx, enum lag_ev_kind kind,
				       int64_t pid)
{
	for (size_t j = open_idx + 1; j < n; j++) {
		if (ev[j].fh != ev[open_idx].fh)
			continue;
		if (ev[j].kind == kind && (pid < 0 || ev[j].pid == pid))
			return &ev[j];
		if (is_open(&ev[j]))
			return NULL; /* reused first: lost */
	}
	return NULL;
}

static const struct ev_rec *release_of(const struct ev_rec *ev, size_t n,
				       size_t open_idx)
{
	return next_on_fh(ev, n, open_idx, LAG_EV_RELEASE, -1);
}

uint64_t verdict_child_closed(const struct ev_rec *ev, size_t n, pid_t child)
{
	uint64_t last = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ev_rec *f;

		if (!is_open(&ev[i]) || ev[i].pid != child)
			continue;
		f = next_on_fh(ev, n, i, LAG_EV_FLUSH, child);
		if (!f)
			return 0;
		if (f->t_ns > last)
			last = f->t_ns;
	}
	return last;
}

static void first_io(const struct verdict_in *in, size_t open_idx,
		     struct verdict *v)
{
	const struct ev_rec *ev = in->ev;

	for (size_t j = open_idx + 1; j < in->n; j++) {
		if (ev[j].fh != ev[open_idx].fh)
			continue;
		if (ev[j].kind == LAG_EV_RELEASE)
			return;
		if (ev[j].kind == LAG_EV_INTERRUPT) {
			v->interrupts++;
			if (!v->t_first_interrupt ||
			    ev[j].t_ns < v->t_first_interrupt)
				v->t_first_interrupt = ev[j].t_ns;
		}
		if (ev[j].kind == LAG_EV_PARK &&
		    (!v->t_first_io || ev[j].t_ns < v->t_first_io)) {
			v->t_first_io = ev[j].t_ns;
			v->io_pid = ev[j].pid;
			/* its completion: the op's event with the same fh */
			for (size_t k = j + 1; k < in->n; k++) {
				if (ev[k].fh == ev[j].fh &&
				    answers(&ev[k], ev[j].op)) {
					snprintf(v->io_how, sizeof(v->io_how),
						 "%s", ev[k].how);
					v->t_io_done = ev[k].t_ns;
					break;
				}
			}
		}
	}
}

void verdict_compute(const struct verdict_in *in, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < in->n; i++) {
		const struct ev_rec *r = &in->ev[i], *rel;

		if (!is_open(r) || !by_child(r, in->child))
			continue;
		/* anyone's: an open after the reap is not the workload's */
		if (in->child == 0 && in->t_reap && r->t_ns > in->t_reap)
			continue;
		v->child_opens++;
		if (!v->t_first_open)
			v->t_first_open = r->t_ns;
		first_io(in, i, v);
		rel = release_of(in->ev, in->n, i);
		if (!rel) {
			v->never_released++;
			continue;
		}
		if (rel->t_ns > v->t_last_release)
			v->t_last_release = rel->t_ns;
		if (rel->t_ns > in->t_reap)
			v->released_after++;
		else
			v->released_before++;
	}
	v->late_release = v->released_after > 0;
	if (v->late_release)
		v->lateness_ns = v->t_last_release - in->t_reap;
}

enum verdict_class verdict_classify(const struct verdict *v,
				    const struct verdict_obs *o, bool *cause,
				    char *err, size_t errlen)
{
	/*
	 * FUSE sends RELEASE asynchronously after the last fput, so a release
	 * logged just after the reap may still come from an fput the child
	 * did itself: late means the kernel also said the mount was busy once
	 * the child was reaped.
	 */
	*cause = v->late_release && o->busy_at_reap;
	if (err && errlen)
		err[0] = '\0';
	if (o->busy_at_reap && v->never_released) {
		if (err)
			snprintf(err, errlen, "lagfs never saw the release of "
				 "%u of the child's files, and the mount was "
				 "busy at the reap: the cause is unproven",
				 v->never_released);
		return VC_ERROR;
	}
	if (*cause)
		return o->ebusy ? VC_REPRODUCED : VC_LATE_ONLY;
	return o->ebusy ? VC_EBUSY_ONLY : VC_CLEAN;
}

bool verdict_hit(enum verdict_class c, enum mitigation m)
{
	if (c == VC_REPRODUCED)
		return true;
	return c == VC_LATE_ONLY && (m == MIT_WAIT_RELEASE || m == MIT_LAZY);
}

bool verdict_clean(enum verdict_class c)
{
	return c == VC_CLEAN;
}

static const char *const keys[] = {
	[VC_ERROR] = "error", [VC_REPRODUCED] = "reproduced",
	[VC_LATE_ONLY] = "late_release_only", [VC_EBUSY_ONLY] = "ebusy_only",
	[VC_CLEAN] = "clean",
};

const char *verdict_key(enum verdict_class c)
{
	return (unsigned)c < ARRAY_SIZE(keys) ? keys[c] : "error";
}

int verdict_from_key(const char *key)
{
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i], key))
			return (int)i;
	return -1;
}

const char *verdict_words(enum verdict_class c, enum mitigation m)
{
	switch (c) {
	case VC_REPRODUCED:
		return "REPRODUCED: late release and EBUSY";
	case VC_LATE_ONLY:
		if (m == MIT_WAIT_RELEASE)
			return "late release; wait-release unmounted after it";
		if (m == MIT_LAZY)
			return "late release after the lazy unmount";
		return "late release, but the unmount came after it";
	case VC_EBUSY_ONLY:
		return "EBUSY without a late release of the child's file";
	case VC_CLEAN:
		return "no late release, no EBUSY";
	default:
		return "error";
	}
}
