#include "result_json.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "names.h"
#include "scenario.h"
#include "story.h"
#include "verdict.h"

/* lagrace's timestamps, by their JSON names. */
static const struct { const char *name; size_t off; } times[] = {
	{ "start", offsetof(struct iter_result, t_start) },
	{ "mounted", offsetof(struct iter_result, t_mounted) },
	{ "fork", offsetof(struct iter_result, t_fork) },
	{ "open", offsetof(struct iter_result, t_open) },
	{ "io_arrived", offsetof(struct iter_result, t_io) },
	{ "cue", offsetof(struct iter_result, t_cue) },
	{ "ready", offsetof(struct iter_result, t_ready) },
	{ "closed", offsetof(struct iter_result, t_closed) },
	{ "kill", offsetof(struct iter_result, t_kill) },
	{ "reap", offsetof(struct iter_result, t_reap) },
	{ "probe_at_reap", offsetof(struct iter_result, t_probe_reap) },
	{ "first_umount", offsetof(struct iter_result, t_umount1) },
	{ "hold_released", offsetof(struct iter_result, t_hold_released) },
	{ "interrupt", offsetof(struct iter_result, t_interrupt) },
	{ "io_answered", offsetof(struct iter_result, t_io_done) },
	{ "free", offsetof(struct iter_result, t_free) },
	{ "release", offsetof(struct iter_result, t_release) },
	{ "umount_done", offsetof(struct iter_result, t_umount_done) },
	{ "end", offsetof(struct iter_result, t_end) },
};
#define N_TIMES ARRAY_SIZE(times)

/* An iter_ev's kind in the document: lagfs's name; an answer, "done". */
#define ANSWER_NAME "done"

static const char *ev_name(unsigned kind)
{
	return kind == LAG_EV_ANSWER ? ANSWER_NAME : lag_ev_name(kind);
}

static int ev_kind(const char *name)
{
	int k = name && !strcmp(name, ANSWER_NAME) ? LAG_EV_ANSWER
						     : lag_ev_kind_of(name);

	return k >= 0 && iter_ev_kind_ok((unsigned)k) ? k : -1;
}

static const char *const hold_names[] = {
	[HOLD_NOT] = "none", [HOLD_AFTER_EBUSY] = "after_ebusy",
	[HOLD_CHILD_EXITING] = "child_exiting",
	[HOLD_REAP_BLOCKED] = "reap_blocked",
	[HOLD_WAIT_RELEASE] = "wait_release", [HOLD_LAZY] = "lazy",
	[HOLD_CLEANUP] = "cleanup",
};
#define N_HOLD ARRAY_SIZE(hold_names)

static uint64_t *tfield(struct iter_result *r, size_t i)
{
	return (uint64_t *)((char *)r + times[i].off);
}

static uint64_t tget(const struct iter_result *r, size_t i)
{
	return *(const uint64_t *)((const char *)r + times[i].off);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *ms_since(uint64_t t, uint64_t kill)
{
	if (!t || !kill)
		return NULL;
	return json_object_new_double(((double)t - (double)kill) / 1e6);
}

static json_object *opt_double(bool have, double v)
{
	return have ? json_object_new_double(v) : NULL;
}

static json_object *story_json(const struct iter_result *r, json_object *o)
{
	json_object *tn = json_object_new_object();
	json_object *files = json_object_new_array();
	json_object *evs = json_object_new_array();
	uint64_t k = r->t_kill;

	for (size_t i = 0; i < N_TIMES; i++) {
		uint64_t t = tget(r, i);

		add(tn, times[i].name, t ? json_object_new_int64(
				(int64_t)(t - k)) : NULL);
	}
	for (int f = 0; f < r->n_files; f++)
		json_object_array_add(files, json_object_new_string(r->files[f]));
	for (int i = 0; i < r->n_ev; i++) {
		const struct iter_ev *e = &r->ev[i];
		json_object *je = json_object_new_object();

		if (!iter_ev_kind_ok(e->kind))
			continue;
		add(je, "t_ns", json_object_new_int64((int64_t)(e->t_ns - k)));
		add(je, "ev", json_object_new_string(ev_name(e->kind)));
		add(je, "file", json_object_new_int(e->file));
		add(je, "pid", json_object_new_int(e->pid));
		add(je, "result", json_object_new_int(e->result));
		if (e->op[0])
			add(je, "op", json_object_new_string(e->op));
		if (e->how[0])
			add(je, "how", json_object_new_string(e->how));
		if (e->hold)
			add(je, "hold", json_object_new_boolean(1));
		json_object_array_add(evs, je);
	}
	add(o, "times_ns", tn);
	add(o, "files", files);
	add(o, "events", evs);
	add(o, "events_dropped", json_object_new_int(r->ev_dropped));
	return o;
}

/* ---- the kernel's trace (--trace) ---- */

static json_object *stack_json(const char *stack)
{
	json_object *a = json_object_new_array();
	char f[128];

	for (int i = 0; ktrace_frame(stack, i, f, sizeof(f)); i++)
		json_object_array_add(a, json_object_new_string(f));
	return a;
}

/* A traced request: who sent it, from where, and how it was found. */
static json_object *request_json(const struct ktrace_req *q, uint64_t kill)
{
	json_object *o = json_object_new_object();
	char path[128];

	add(o, "ev", json_object_new_string(lag_ev_name(q->kind)));
	add(o, "file", json_object_new_int(q->file));
	add(o, "task", json_object_new_string(q->comm));
	add(o, "pid", json_object_new_int(q->pid));
	add(o, "source", json_object_new_string(
		q->source < KT_SRC_N && ktrace_source_names[q->source]
		? ktrace_source_names[q->source] : "none"));
	add(o, "joined_by", json_object_new_string(
		ktrace_join_names[q->join < KT_JOIN_N ? q->join : 0]));
	add(o, "unique", q->unique ? json_object_new_int64((int64_t)q->unique)
				   : NULL);
	add(o, "t_ns", json_object_new_int64((int64_t)(q->t_ns - kill)));
	add(o, "path", json_object_new_string(ktrace_path(q->stack, path,
							  sizeof(path))));
	add(o, "stack", stack_json(q->stack));
	return o;
}

static json_object *trace_json(const struct iter_result *r)
{
	const struct iter_trace *t = &r->trace;
	json_object *o = json_object_new_object();
	json_object *reqs = json_object_new_array();
	json_object *marks = json_object_new_array();

	for (int i = 0; i < t->n_req && i < KT_MAX_REQ; i++)
		json_object_array_add(reqs, request_json(&t->req[i], r->t_kill));
	for (int i = 0; i < t->n_marks && i < KT_MAX_MARKS; i++) {
		const struct ktrace_mark *m = &t->mark[i];
		json_object *jm = json_object_new_object();

		add(jm, "t_ns", json_object_new_int64(
			(int64_t)(m->t_ns - r->t_kill)));
		add(jm, "ev", json_object_new_string(
			ktrace_mark_names[m->kind < KT_MARK_N ? m->kind : 0]));
		add(jm, "task", json_object_new_string(m->comm));
		add(jm, "pid", json_object_new_int(m->pid));
		if (m->kind == KT_URING_COMPLETE)
			add(jm, "result", json_object_new_int(m->res));
		json_object_array_add(marks, jm);
	}
	add(o, "source", json_object_new_string(
		ktrace_source_names[t->source < KT_SRC_N ? t->source : 0]));
	add(o, "requests", reqs);
	add(o, "events", marks);
	add(o, "events_dropped", json_object_new_int(t->marks_dropped));
	return o;
}

/* "release_by": the kernel's record of the RELEASE of the file the story
 * follows, or null (not traced, or no record of it). */
static json_object *release_by_json(const struct iter_result *r)
{
	const struct ktrace_req *q = story_release_by(r);
	json_object *o;
	char path[128];

	if (!q)
		return NULL;
	o = json_object_new_object();
	add(o, "task", json_object_new_string(q->comm));
	add(o, "pid", json_object_new_int(q->pid));
	add(o, "source", json_object_new_string(ktrace_source_names[
		q->source < KT_SRC_N ? q->source : 0]));
	add(o, "path", json_object_new_string(ktrace_path(q->stack, path,
							  sizeof(path))));
	add(o, "joined_by", json_object_new_string(
		ktrace_join_names[q->join < KT_JOIN_N ? q->join : 0]));
	add(o, "stack", stack_json(q->stack));
	return o;
}

json_object *result_to_json(const struct iter_result *r, enum mitigation m)
{
	json_object *o = json_object_new_object();
	json_object *tl = json_object_new_object();
	uint64_t k = r->t_kill;
	enum verdict_class c = r->vclass;

	add(o, "index", json_object_new_int((int)r->index));
	add(o, "lane", json_object_new_int((int)r->lane));
	add(o, "verdict", json_object_new_string(verdict_key(c)));
	add(o, "verdict_text", json_object_new_string(
		r->error ? "error" : verdict_words(c, m)));
	add(o, "hit", json_object_new_boolean(!r->error && verdict_hit(c, m)));
	add(o, "late_release", json_object_new_boolean(r->late_release));
	add(o, "ebusy", json_object_new_boolean(r->ebusy));
	add(o, "busy_at_reap", json_object_new_boolean(r->busy_at_reap));
	add(o, "umount_ok", json_object_new_boolean(r->umount_ok));
	add(o, "first_umount", json_object_new_string(
		r->umount1_errno ? strerrorname_np(r->umount1_errno) : "ok"));
	add(o, "busy_window_ms", opt_double(r->ebusy && r->busy_ns,
					    r->busy_ns / 1e6));
	add(o, "release_lateness_ms", opt_double(r->releases_after_reap,
						 r->lateness_ns / 1e6));
	add(o, "releases_after_reap",
	    json_object_new_int((int)r->releases_after_reap));
	add(o, "reap_blocked", json_object_new_boolean(r->reap_blocked));
	add(o, "lost_release", json_object_new_boolean(r->lagfs_lost_release));
	add(o, "child_opens", json_object_new_int((int)r->child_opens));
	add(o, "interrupts", json_object_new_int((int)r->interrupts));
	add(o, "retries", json_object_new_int((int)r->retries));
	add(o, "io_ended_by", json_object_new_string(r->io_how));
	add(o, "io_by_worker", json_object_new_boolean(r->io_pid &&
						       r->io_pid != r->child));
	add(o, "error", r->error ? json_object_new_string(r->err) : NULL);
	add(o, "unproven", json_object_new_boolean(r->error == ITER_UNPROVEN));
	add(o, "child", json_object_new_int((int)r->child));
	add(o, "hold_released_because", json_object_new_string(
		r->hold_why < N_HOLD ? hold_names[r->hold_why] : "none"));
	add(o, "fusermount", json_object_new_boolean(r->fusermount));
	add(o, "workload", json_object_new_boolean(r->workload));
	add(o, "filesystem", json_object_new_string(fs_key(r->fs)));
	add(o, "file_handed_to", json_object_new_string(engine_keeper_names[
		r->keeper < KEEPER_N ? r->keeper : KEEPER_NONE]));
	add(o, "t_kill_ns", json_object_new_int64((int64_t)k));
	for (size_t i = 0; i < N_TIMES; i++)
		add(tl, times[i].name, ms_since(tget(r, i), k));
	add(o, "timeline_ms", tl);
	if (k)
		story_json(r, o);
	else
		add(o, "times_ns", NULL);
	add(o, "release_by", k ? release_by_json(r) : NULL);
	add(o, "kernel_trace", k && r->trace.source != KT_SRC_NONE
			       ? trace_json(r) : NULL);
	return o;
}

json_object *runinfo_to_json(const struct runinfo *ri)
{
	json_object *o = json_object_new_object();
	json_object *argv = json_object_new_array();
	json_object *rules = json_object_new_array();

	for (int i = 0; i < ri->argc; i++)
		json_object_array_add(argv, json_object_new_string(ri->argv[i]));
	for (int i = 0; ri->rules[i]; i++)
		json_object_array_add(rules, json_object_new_string(ri->rules[i]));
	add(o, "argv", argv);
	add(o, "version", json_object_new_string(ri->version));
	add(o, "started", json_object_new_string(ri->started));
	add(o, "kernel", json_object_new_string(ri->kernel));
	add(o, "hz", ri->hz ? json_object_new_int(ri->hz) : NULL);
	add(o, "hz_source", json_object_new_string(ri->hz_source));
	add(o, "seed", json_object_new_int64(ri->seed));
	add(o, "scenario", json_object_new_string(ri->scenario));
	add(o, "engine", json_object_new_string(ri->engine));
	add(o, "mitigation", json_object_new_string(
		mitigation_names[ri->mitigate]));
	add(o, "iterations", json_object_new_int64(ri->iterations));
	add(o, "jobs", json_object_new_int64(ri->jobs));
	add(o, "fusermount", json_object_new_boolean(ri->fusermount));
	add(o, "lagfs_rules", rules);
	add(o, "lagfs_options", ri->fuse_opts ?
	    json_object_new_string(ri->fuse_opts) : NULL);
	add(o, "trace", json_object_new_string(ri->trace));
	add(o, "trace_source", ri->trace_source[0] ?
	    json_object_new_string(ri->trace_source) : NULL);
	return o;
}

static json_object *stat3_json(const struct stat3 *s)
{
	json_object *o = json_object_new_object();

	add(o, "p50", opt_double(s->n, s->p50));
	add(o, "p99", opt_double(s->n, s->p99));
	add(o, "max", opt_double(s->n, s->max));
	add(o, "n", json_object_new_int((int)s->n));
	return o;
}

/* The summary's counts after the iterations, by their JSON names. */
#define COUNT(name, field) { name, offsetof(struct summary, field) }
static const struct { const char *name; size_t off; } counts[] = {
	COUNT("reproduced", reproduced), COUNT("late_release", late_release),
	COUNT("ebusy", ebusy), COUNT("late_release_only", late_only),
	COUNT("ebusy_only", ebusy_only), COUNT("clean", clean),
	COUNT("hits", hits), COUNT("errors", errors),
	COUNT("unproven", unproven), COUNT("umount_ok", umount_ok),
	COUNT("lost_release", lost_release),
	COUNT("reap_blocked", reap_blocked),
};

static json_object *tally_json(const struct tally *t, unsigned n)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < n; i++)
		add(o, t[i].what, json_object_new_int((int)t[i].n));
	return o;
}

json_object *summary_to_json(const struct report *rp, const struct summary *s)
{
	json_object *sum = json_object_new_object();
	json_object *cpu = json_object_new_object();
	json_object *ph = json_object_new_object();
	char v[256];

	add(sum, "iterations", json_object_new_int((int)s->iterations));
	add(sum, "iterations_asked", json_object_new_int(
		(int)rp->cfg->iterations));
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		const unsigned *n = (const void *)((const char *)s +
						   counts[i].off);

		add(sum, counts[i].name, json_object_new_int((int)*n));
	}
	add(sum, "busy_window_ms", stat3_json(&s->busy));
	add(sum, "release_lateness_ms", stat3_json(&s->lateness));
	add(sum, "wall_s", json_object_new_double(s->wall_s));
	add(sum, "reproductions_per_s", opt_double(s->wall_s > 0,
						   s->reproductions_per_s));
	add(cpu, "lagrace", opt_double(s->iterations, s->cpu_ms_lagrace));
	add(cpu, "lagfs", opt_double(s->iterations, s->cpu_ms_lagfs));
	add(cpu, "main", opt_double(s->iterations, s->cpu_ms_main));
	add(cpu, "lanes", opt_double(s->iterations, s->cpu_ms_lanes));
	add(cpu, "children", opt_double(s->iterations, s->cpu_ms_children));
	add(sum, "cpu_ms_per_iteration", cpu);
	for (int k = 0; k < 8; k++)
		add(ph, report_phase_names[k], opt_double(s->phase_n,
							  s->phase_ms[k]));
	add(sum, "phase_ms", ph);
	add(sum, "traced", json_object_new_int((int)s->traced));
	add(sum, "release_paths", tally_json(s->paths, s->n_paths));
	add(sum, "released_by", tally_json(s->released_by, s->n_released_by));
	add(sum, "scenario", json_object_new_string(scenario_name(rp->cfg)));
	add(sum, "engine", json_object_new_string(engine_names[rp->cfg->engine]));
	add(sum, "filesystem", json_object_new_string(fs_key(rp->cfg->fs)));
	add(sum, "mitigation", json_object_new_string(
		mitigation_names[rp->cfg->mitigate]));
	add(sum, "jobs", json_object_new_int((int)rp->cfg->jobs));
	add(sum, "kernel", json_object_new_string(rp->ri->kernel));
	add(sum, "stopped_by", rp->stop_signal ? json_object_new_string(
		sigabbrev_np(rp->stop_signal)) : NULL);
	add(sum, "verdict", json_object_new_string(
		report_verdict(rp, s, v, sizeof(v))));
	return sum;
}

/* ---- reading back ---- */

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static bool getb(json_object *o, const char *k)
{
	return json_object_get_boolean(get(o, k));
}

static int errno_of(const char *name)
{
	if (!name || !strcmp(name, "ok"))
		return 0;
	for (int e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return EIO;
}

static void copy(char *dst, size_t cap, json_object *v)
{
	snprintf(dst, cap, "%s", v ? json_object_get_string(v) : "");
}

/* The verdict and what led to it. */
static void flags_from_json(json_object *o, struct iter_result *r)
{
	json_object *v;
	int c;

	r->index = (unsigned)json_object_get_int(get(o, "index"));
	r->lane = (unsigned)json_object_get_int(get(o, "lane"));
	r->child = json_object_get_int(get(o, "child"));
	c = verdict_from_key(json_object_get_string(get(o, "verdict")));
	r->vclass = (uint8_t)(c < 0 ? VC_ERROR : c);
	if ((v = get(o, "error")) && json_object_is_type(v, json_type_string)) {
		r->error = getb(o, "unproven") ? ITER_UNPROVEN : 1;
		copy(r->err, sizeof(r->err), v);
	}
	r->late_release = getb(o, "late_release");
	r->ebusy = getb(o, "ebusy");
	r->busy_at_reap = getb(o, "busy_at_reap");
	r->umount_ok = getb(o, "umount_ok");
	r->umount1_errno = errno_of(json_object_get_string(get(o,
							       "first_umount")));
	r->reap_blocked = getb(o, "reap_blocked");
	r->lagfs_lost_release = getb(o, "lost_release");
	r->fusermount = getb(o, "fusermount");
	r->workload = getb(o, "workload");
	r->retries = (unsigned)json_object_get_int(get(o, "retries"));
	r->releases_after_reap = (unsigned)json_object_get_int(
		get(o, "releases_after_reap"));
	r->child_opens = (unsigned)json_object_get_int(get(o, "child_opens"));
	copy(r->io_how, sizeof(r->io_how), get(o, "io_ended_by"));
	v = get(o, "filesystem");
	for (unsigned i = 0; v && i < FS_N; i++)
		if (!strcmp(fs_key(i), json_object_get_string(v)))
			r->fs = (uint8_t)i;
	v = get(o, "file_handed_to");
	for (size_t i = 0; v && i < KEEPER_N; i++)
		if (!strcmp(engine_keeper_names[i], json_object_get_string(v)))
			r->keeper = (uint8_t)i;
	v = get(o, "hold_released_because");
	for (size_t i = 0; v && i < N_HOLD; i++)
		if (!strcmp(hold_names[i], json_object_get_string(v)))
			r->hold_why = (uint8_t)i;
}

/* lagrace's timestamps, relative to the kill in the document. */
static void times_from_json(json_object *tn, struct iter_result *r)
{
	json_object *v;

	for (size_t i = 0; i < N_TIMES; i++)
		if ((v = get(tn, times[i].name)))
			*tfield(r, i) = r->t_kill +
					(uint64_t)json_object_get_int64(v);
	if (r->releases_after_reap && r->t_release > r->t_reap)
		r->lateness_ns = r->t_release - r->t_reap;
	if (r->ebusy && r->t_free > r->t_umount1)
		r->busy_ns = r->t_free - r->t_umount1;
}

/* Event i of the story into r->ev[r->n_ev]: 0, or -1 with err. */
static int event_from_json(json_object *je, size_t i, struct iter_result *r,
			   char *err, size_t errlen)
{
	struct iter_ev *e = &r->ev[r->n_ev];
	const char *kind = json_object_get_string(get(je, "ev"));
	int k = ev_kind(kind);

	if (k < 0) {
		snprintf(err, errlen, "iteration #%u, event %zu: unknown "
			 "kind '%s'", r->index, i, kind ? kind : "");
		return -1;
	}
	e->kind = (uint8_t)k;
	e->t_ns = r->t_kill + (uint64_t)json_object_get_int64(get(je, "t_ns"));
	e->file = (uint8_t)json_object_get_int(get(je, "file"));
	e->pid = json_object_get_int(get(je, "pid"));
	e->result = json_object_get_int(get(je, "result"));
	e->hold = getb(je, "hold");
	copy(e->op, sizeof(e->op), get(je, "op"));
	copy(e->how, sizeof(e->how), get(je, "how"));
	if (e->file >= r->n_files) {
		snprintf(err, errlen, "iteration #%u, event %zu: no file %u",
			 r->index, i, e->file);
		return -1;
	}
	r->n_ev++;
	return 0;
}

/* The child's files and their events: 0, or -1 with err. */
static int story_from_json(json_object *o, struct iter_result *r, char *err,
			   size_t errlen)
{
	json_object *files = get(o, "files"), *evs = get(o, "events");

	if (!json_object_is_type(files, json_type_array) ||
	    !json_object_is_type(evs, json_type_array)) {
		snprintf(err, errlen, "iteration #%u has no files and events "
			 "(a JSON document from an older lagrace?)", r->index);
		return -1;
	}
	for (size_t f = 0; f < json_object_array_length(files) &&
			   r->n_files < ITER_MAX_FILES; f++)
		copy(r->files[r->n_files++], ITER_PATH_LEN,
		     json_object_array_get_idx(files, f));
	for (size_t i = 0; i < json_object_array_length(evs) &&
			   r->n_ev < ITER_MAX_EV; i++)
		if (event_from_json(json_object_array_get_idx(evs, i), i, r,
				    err, errlen) < 0)
			return -1;
	r->ev_dropped = (uint16_t)json_object_get_int(get(o, "events_dropped"));
	return 0;
}

static int name_of(const char *const *names, int n, const char *s)
{
	int i = s ? name_index(names, (size_t)n, s) : -1;

	return i < 0 ? 0 : i;
}

static void request_from_json(json_object *jq, struct ktrace_req *q,
			      uint64_t kill)
{
	json_object *st = get(jq, "stack");
	int k = lag_ev_kind_of(json_object_get_string(get(jq, "ev")));

	memset(q, 0, sizeof(*q));
	q->kind = (uint8_t)(k < 0 ? LAG_EV_RELEASE : k);
	q->file = (uint8_t)json_object_get_int(get(jq, "file"));
	q->pid = json_object_get_int(get(jq, "pid"));
	q->unique = (uint64_t)json_object_get_int64(get(jq, "unique"));
	q->t_ns = kill + (uint64_t)json_object_get_int64(get(jq, "t_ns"));
	q->source = (uint8_t)name_of(ktrace_source_names, KT_SRC_N,
				     json_object_get_string(get(jq, "source")));
	q->join = (uint8_t)name_of(ktrace_join_names, KT_JOIN_N,
				   json_object_get_string(get(jq, "joined_by")));
	copy(q->comm, sizeof(q->comm), get(jq, "task"));
	for (size_t i = 0; json_object_is_type(st, json_type_array) &&
			   i < json_object_array_length(st); i++)
		ktrace_add_frame(q->stack, sizeof(q->stack),
				 json_object_get_string(
					 json_object_array_get_idx(st, i)));
}

/* "kernel_trace" back into r->trace (absent or null: not traced). */
static void trace_from_json(json_object *o, struct iter_result *r)
{
	json_object *reqs = get(o, "requests"), *marks = get(o, "events");
	struct iter_trace *t = &r->trace;

	if (!json_object_is_type(o, json_type_object))
		return;
	t->source = (uint8_t)name_of(ktrace_source_names, KT_SRC_N,
				     json_object_get_string(get(o, "source")));
	for (size_t i = 0; json_object_is_type(reqs, json_type_array) &&
			   i < json_object_array_length(reqs) &&
			   t->n_req < KT_MAX_REQ; i++)
		request_from_json(json_object_array_get_idx(reqs, i),
				  &t->req[t->n_req++], r->t_kill);
	for (size_t i = 0; json_object_is_type(marks, json_type_array) &&
			   i < json_object_array_length(marks) &&
			   t->n_marks < KT_MAX_MARKS; i++) {
		json_object *jm = json_object_array_get_idx(marks, i);
		struct ktrace_mark *m = &t->mark[t->n_marks++];

		m->t_ns = r->t_kill + (uint64_t)json_object_get_int64(
			get(jm, "t_ns"));
		m->kind = (uint8_t)name_of(ktrace_mark_names, KT_MARK_N,
					   json_object_get_string(get(jm, "ev")));
		m->pid = json_object_get_int(get(jm, "pid"));
		m->res = json_object_get_int(get(jm, "result"));
		copy(m->comm, sizeof(m->comm), get(jm, "task"));
	}
	t->marks_dropped = (uint16_t)json_object_get_int(get(o,
							 "events_dropped"));
}

int result_from_json(json_object *o, struct iter_result *r, char *err,
		     size_t errlen)
{
	json_object *tn = get(o, "times_ns");

	memset(r, 0, sizeof(*r));
	if (!json_object_is_type(o, json_type_object) || !get(o, "index")) {
		snprintf(err, errlen, "not an iteration object");
		return -1;
	}
	flags_from_json(o, r);
	r->t_kill = (uint64_t)json_object_get_int64(get(o, "t_kill_ns"));
	if (!r->t_kill || !tn)
		return 0; /* no kill: no story to tell */
	times_from_json(tn, r);
	trace_from_json(get(o, "kernel_trace"), r);
	return story_from_json(o, r, err, errlen);
}

static const char *str(json_object *o, const char *k, const char *dflt)
{
	json_object *v = get(o, k);

	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : dflt;
}

int runinfo_from_json(json_object *o, struct runinfo *ri, char *err,
		      size_t errlen)
{
	json_object *argv = get(o, "argv"), *rules = get(o, "lagfs_rules");
	const char *m;
	int mit;

	memset(ri, 0, sizeof(*ri));
	if (!json_object_is_type(argv, json_type_array)) {
		snprintf(err, errlen, "no \"run\" with \"argv\" (a JSON document "
			 "from an older lagrace?)");
		return -1;
	}
	ri->argc = (int)json_object_array_length(argv);
	ri->argv = calloc((size_t)ri->argc + 1, sizeof(char *));
	if (!ri->argv) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < ri->argc; i++)
		ri->argv[i] = (char *)json_object_get_string(
			json_object_array_get_idx(argv, (size_t)i));
	snprintf(ri->version, sizeof(ri->version), "%s",
		 str(o, "version", "?"));
	snprintf(ri->kernel, sizeof(ri->kernel), "%s", str(o, "kernel", "?"));
	snprintf(ri->started, sizeof(ri->started), "%s",
		 str(o, "started", "?"));
	snprintf(ri->hz_source, sizeof(ri->hz_source), "%s",
		 str(o, "hz_source", "?"));
	ri->hz = json_object_get_int(get(o, "hz"));
	ri->seed = (unsigned)json_object_get_int64(get(o, "seed"));
	ri->iterations = (unsigned)json_object_get_int64(get(o, "iterations"));
	ri->jobs = (unsigned)json_object_get_int64(get(o, "jobs"));
	ri->scenario = str(o, "scenario", "?");
	ri->engine = str(o, "engine", "?");
	ri->fuse_opts = str(o, "lagfs_options", NULL);
	ri->fusermount = getb(o, "fusermount");
	m = str(o, "mitigation", "none");
	if ((mit = name_index(mitigation_names, MIT_N, m)) >= 0)
		ri->mitigate = (enum mitigation)mit;
	for (size_t i = 0; rules && i < json_object_array_length(rules) &&
			   i < RACE_MAX_RULES; i++)
		ri->rules[i] = json_object_get_string(
			json_object_array_get_idx(rules, i));
	snprintf(ri->trace, sizeof(ri->trace), "%s", str(o, "trace", ""));
	snprintf(ri->trace_source, sizeof(ri->trace_source), "%s",
		 str(o, "trace_source", ""));
	return 0;
}
