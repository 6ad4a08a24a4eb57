#include "report.h"

#include <errno.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static const char *const mitigation_names[] = { "none", "retry",
						"wait-release", "lazy" };

const char *const report_phase_names[8] = {
	"setup", "fork_to_io", "io_to_kill", "kill_to_reap", "reap_to_umount",
	"busy_window", "free_to_unmounted", "remount"
};

bool report_hit(const struct iter_result *r)
{
	return !r->error && r->late_release;
}

/* ms relative to the kill, or "-" */
static void rel(char *buf, size_t cap, uint64_t t, uint64_t kill)
{
	if (!t || !kill)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%+.2f", ((double)t - (double)kill) / 1e6);
}

static void print_line(const struct iter_result *r, FILE *out)
{
	char o[16], io[16], reap[16], um[16], fr[16], rl[16], done[16];
	uint64_t k = r->t_kill;

	if (r->error && !k) {
		fprintf(out, "#%-3u lane %u: error: %s\n", r->index, r->lane,
			r->err);
		return;
	}
	rel(o, sizeof(o), r->t_open, k);
	rel(io, sizeof(io), r->t_io, k);
	rel(reap, sizeof(reap), r->t_reap, k);
	rel(um, sizeof(um), r->t_umount1, k);
	rel(fr, sizeof(fr), r->t_free, k);
	rel(rl, sizeof(rl), r->t_release, k);
	rel(done, sizeof(done), r->t_umount_done, k);
	fprintf(out, "#%-3u open %s io %s kill 0 reap %s umount %s %s "
		"free %s release %s umount-done %s  ", r->index, o, io, reap,
		r->umount1_errno ? strerrorname_np(r->umount1_errno) : "ok", um, fr,
		rl, done);
	if (r->late_release)
		fprintf(out, "LATE RELEASE +%.2fms", r->lateness_ns / 1e6);
	else if (r->releases_after_reap)
		fprintf(out, "released in time (its RELEASE reached lagfs "
			"%.2fms after the reap; the mount was free)",
			r->lateness_ns / 1e6);
	else
		fprintf(out, "released in time");
	if (r->ebusy)
		fprintf(out, ", EBUSY busy %.2fms", r->busy_ns / 1e6);
	if (r->reap_blocked)
		fprintf(out, ", reap waited for the held IO");
	if (r->lagfs_lost_release)
		fprintf(out, ", lagfs never saw a release");
	if (r->error)
		fprintf(out, ", error: %s", r->err);
	fprintf(out, "\n");
}

static bool tap_ok(const struct race_cfg *cfg, const struct iter_result *r)
{
	if (r->error)
		return false;
	if (cfg->expect == EXPECT_RACE)
		return report_hit(r);
	if (cfg->expect == EXPECT_CLEAN)
		return !report_hit(r);
	return true;
}

void report_add(struct report *rp, const struct iter_result *r, FILE *out)
{
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 64;
		struct iter_result *res = realloc(rp->results,
						  cap * sizeof(*res));

		if (!res) {
			fprintf(stderr, "lagrace: out of memory\n");
			exit(1);
		}
		rp->results = res;
		rp->cap = cap;
	}
	rp->results[rp->n++] = *r;
	if (rp->cfg->tap) {
		fprintf(out, "%sok %zu - iteration %u: %s%s%s\n",
			tap_ok(rp->cfg, r) ? "" : "not ", rp->n, r->index,
			r->error ? r->err : r->late_release ? "late release"
							     : "no late release",
			r->ebusy ? ", EBUSY" : "", "");
	} else if (!rp->cfg->quiet) {
		print_line(r, out);
	}
	fflush(out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stat3 stat3_of(double *v, unsigned n)
{
	struct stat3 s = { .n = n };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank */
	s.p50 = v[(n * 50 + 99) / 100 - 1];
	s.p99 = v[(n * 99 + 99) / 100 - 1];
	s.max = v[n - 1];
	return s;
}

static double span(uint64_t a, uint64_t b)
{
	return a && b && b > a ? (b - a) / 1e6 : 0;
}

static void phases(const struct report *rp, struct summary *s)
{
	uint64_t lane_cpu[64] = { 0 }, lagfs_cpu[64] = { 0 };
	unsigned n = 0;

	for (size_t i = 0; i < rp->n; i++) {
		const struct iter_result *r = &rp->results[i];
		uint64_t free_t = r->t_free ? r->t_free : r->t_umount1;

		if (r->lane < 64) {
			if (r->lane_cpu_us > lane_cpu[r->lane])
				lane_cpu[r->lane] = r->lane_cpu_us;
			if (r->lagfs_cpu_us > lagfs_cpu[r->lane])
				lagfs_cpu[r->lane] = r->lagfs_cpu_us;
		}
		if (r->error)
			continue;
		n++;
		s->phase_ms[0] += span(r->t_start, r->t_fork);
		s->phase_ms[1] += span(r->t_fork, r->t_io);
		s->phase_ms[2] += span(r->t_io, r->t_kill);
		s->phase_ms[3] += span(r->t_kill, r->t_reap);
		s->phase_ms[4] += span(r->t_reap, r->t_umount1);
		s->phase_ms[5] += span(r->t_umount1, r->t_free);
		s->phase_ms[6] += span(free_t, r->t_umount_done);
		s->phase_ms[7] += span(r->t_umount_done, r->t_end);
	}
	for (int k = 0; n && k < 8; k++)
		s->phase_ms[k] /= n;
	if (!s->iterations)
		return;
	s->cpu_ms_lagrace = rp->main_cpu_us / 1e3;
	for (int l = 0; l < 64; l++) {
		s->cpu_ms_lagrace += lane_cpu[l] / 1e3;
		s->cpu_ms_lagfs += lagfs_cpu[l] / 1e3;
	}
	s->cpu_ms_lagrace /= s->iterations;
	s->cpu_ms_lagfs /= s->iterations;
}

void report_summarize(const struct report *rp, struct summary *s)
{
	double *busy = calloc(rp->n + 1, sizeof(double));
	double *late = calloc(rp->n + 1, sizeof(double));
	unsigned nb = 0, nl = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < rp->n; i++) {
		const struct iter_result *r = &rp->results[i];

		s->iterations++;
		s->errors += r->error != 0;
		s->late_release += report_hit(r);
		s->ebusy += !r->error && r->ebusy;
		s->umount_ok += r->umount_ok;
		s->lost_release += !r->error && r->lagfs_lost_release;
		s->reap_blocked += r->reap_blocked;
		s->not_run += r->not_run;
		if (busy && r->ebusy && r->busy_ns)
			busy[nb++] = r->busy_ns / 1e6;
		if (late && report_hit(r))
			late[nl++] = r->lateness_ns / 1e6;
	}
	s->busy = stat3_of(busy, busy ? nb : 0);
	s->lateness = stat3_of(late, late ? nl : 0);
	free(busy);
	free(late);
	phases(rp, s);
	s->wall_s = (rp->t_end - rp->t_begin) / 1e9;
	s->reproductions_per_s = s->wall_s > 0 ? s->late_release / s->wall_s : 0;
}

void report_print_summary(const struct report *rp, const struct summary *s,
			  bool interrupted, FILE *out)
{
	const struct race_cfg *c = rp->cfg;
	const char *p = c->tap ? "# " : "";

	fprintf(out, "%s%s: scenario %s, engine %s, mitigation %s, %u lane%s%s\n",
		p, "lagrace", c->scenario, c->engine->name,
		mitigation_names[c->mitigate], c->jobs, c->jobs > 1 ? "s" : "",
		interrupted ? " (interrupted: partial summary)" : "");
	if (s->iterations < c->iterations)
		fprintf(out, "%sran %u of %u iterations%s\n", p, s->iterations,
			c->iterations, interrupted ? "" : " (a lane stopped "
			"after an error)");
	fprintf(out, "%slate release %u/%u, EBUSY %u/%u, unmounted %u/%u, "
		"errors %u\n", p, s->late_release, s->iterations, s->ebusy,
		s->iterations, s->umount_ok, s->iterations, s->errors);
	if (s->busy.n)
		fprintf(out, "%sbusy window ms: p50 %.2f p99 %.2f max %.2f "
			"(%u)\n", p, s->busy.p50, s->busy.p99, s->busy.max,
			s->busy.n);
	if (s->lateness.n)
		fprintf(out, "%srelease after reap ms: p50 %.2f p99 %.2f max "
			"%.2f (%u)\n", p, s->lateness.p50, s->lateness.p99,
			s->lateness.max, s->lateness.n);
	if (s->lost_release)
		fprintf(out, "%s%u iterations: lagfs never saw the child's "
			"release (torn down by the unmount)\n", p,
			s->lost_release);
	if (s->reap_blocked)
		fprintf(out, "%s%u iterations: the reap waited for the held "
			"IO, so the release came before it\n", p,
			s->reap_blocked);
	fprintf(out, "%s%.2f s, %.1f verified reproductions per second\n", p,
		s->wall_s, s->reproductions_per_s);
	fprintf(out, "%sper iteration: CPU %.2f ms lagrace, %.2f ms lagfs; "
		"mean ms:", p, s->cpu_ms_lagrace, s->cpu_ms_lagfs);
	for (int k = 0; k < 8; k++)
		fprintf(out, " %s %.2f", report_phase_names[k], s->phase_ms[k]);
	fprintf(out, "\n");
	if (s->iterations && s->not_run == s->iterations) {
		/* Nothing ran: no verdict on the race, only why. */
		fprintf(out, "%sverdict: could not run: %s\n", p,
			rp->results[0].err);
	} else {
		fprintf(out, "%sverdict: %s\n", p,
			s->late_release == s->iterations && s->iterations
				? "RACE REPRODUCED in every iteration"
			: s->late_release ? "race reproduced in some iterations"
					  : "no late release");
	}
	if (c->tap)
		fprintf(out, "1..%zu\n", rp->n);
}

static json_object *stat3_json(const struct stat3 *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "p50", json_object_new_double(s->p50));
	json_object_object_add(o, "p99", json_object_new_double(s->p99));
	json_object_object_add(o, "max", json_object_new_double(s->max));
	json_object_object_add(o, "n", json_object_new_int((int)s->n));
	return o;
}

static json_object *cpu_json(const struct summary *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "lagrace", json_object_new_double(s->cpu_ms_lagrace));
	json_object_object_add(o, "lagfs", json_object_new_double(s->cpu_ms_lagfs));
	return o;
}

static json_object *phases_json(const struct summary *s)
{
	json_object *o = json_object_new_object();

	for (int k = 0; k < 8; k++)
		json_object_object_add(o, report_phase_names[k],
				       json_object_new_double(s->phase_ms[k]));
	return o;
}

static json_object *ms_since(uint64_t t, uint64_t kill)
{
	if (!t || !kill)
		return NULL;
	return json_object_new_double(((double)t - (double)kill) / 1e6);
}

static json_object *iteration_json(const struct iter_result *r)
{
	json_object *o = json_object_new_object();
	json_object *tl = json_object_new_object();
	uint64_t k = r->t_kill;

	json_object_object_add(o, "index", json_object_new_int((int)r->index));
	json_object_object_add(o, "lane", json_object_new_int((int)r->lane));
	json_object_object_add(o, "late_release", json_object_new_boolean(r->late_release));
	json_object_object_add(o, "ebusy", json_object_new_boolean(r->ebusy));
	json_object_object_add(o, "busy_at_reap", json_object_new_boolean(r->busy_at_reap));
	json_object_object_add(o, "umount_ok", json_object_new_boolean(r->umount_ok));
	json_object_object_add(o, "first_umount",
			       json_object_new_string(r->umount1_errno ? strerrorname_np(r->umount1_errno) : "ok"));
	json_object_object_add(o, "busy_window_ms", json_object_new_double(r->busy_ns / 1e6));
	json_object_object_add(o, "release_lateness_ms", json_object_new_double(r->lateness_ns / 1e6));
	json_object_object_add(o, "reap_blocked", json_object_new_boolean(r->reap_blocked));
	json_object_object_add(o, "lost_release", json_object_new_boolean(r->lagfs_lost_release));
	json_object_object_add(o, "child_opens", json_object_new_int((int)r->child_opens));
	json_object_object_add(o, "interrupts", json_object_new_int((int)r->interrupts));
	json_object_object_add(o, "retries", json_object_new_int((int)r->retries));
	json_object_object_add(o, "io_ended_by", json_object_new_string(r->io_how));
	json_object_object_add(o, "io_by_worker", json_object_new_boolean(r->io_pid && r->io_pid != r->child));
	json_object_object_add(o, "error", r->error ? json_object_new_string(r->err) : NULL);
	json_object_object_add(o, "t_kill_ns", json_object_new_int64((int64_t)k));
	json_object_object_add(tl, "start", ms_since(r->t_start, k));
	json_object_object_add(tl, "mounted", ms_since(r->t_mounted, k));
	json_object_object_add(tl, "fork", ms_since(r->t_fork, k));
	json_object_object_add(tl, "end", ms_since(r->t_end, k));
	json_object_object_add(tl, "open", ms_since(r->t_open, k));
	json_object_object_add(tl, "io_arrived", ms_since(r->t_io, k));
	json_object_object_add(tl, "closed", ms_since(r->t_closed, k));
	json_object_object_add(tl, "kill", ms_since(k, k));
	json_object_object_add(tl, "reap", ms_since(r->t_reap, k));
	json_object_object_add(tl, "first_umount", ms_since(r->t_umount1, k));
	json_object_object_add(tl, "hold_released", ms_since(r->t_hold_released, k));
	json_object_object_add(tl, "interrupt", ms_since(r->t_interrupt, k));
	json_object_object_add(tl, "io_answered", ms_since(r->t_io_done, k));
	json_object_object_add(tl, "free", ms_since(r->t_free, k));
	json_object_object_add(tl, "release", ms_since(r->t_release, k));
	json_object_object_add(tl, "umount_done", ms_since(r->t_umount_done, k));
	json_object_object_add(o, "timeline_ms", tl);
	return o;
}

int report_write_json(const struct report *rp, const struct summary *s,
		      const char *path)
{
	json_object *root = json_object_new_object();
	json_object *its = json_object_new_array();
	json_object *sum = json_object_new_object();
	struct utsname u;
	int res;

	for (size_t i = 0; i < rp->n; i++)
		json_object_array_add(its, iteration_json(&rp->results[i]));
	json_object_object_add(sum, "iterations", json_object_new_int((int)s->iterations));
	json_object_object_add(sum, "late_release", json_object_new_int((int)s->late_release));
	json_object_object_add(sum, "ebusy", json_object_new_int((int)s->ebusy));
	json_object_object_add(sum, "errors", json_object_new_int((int)s->errors));
	json_object_object_add(sum, "umount_ok", json_object_new_int((int)s->umount_ok));
	json_object_object_add(sum, "lost_release", json_object_new_int((int)s->lost_release));
	json_object_object_add(sum, "busy_window_ms", stat3_json(&s->busy));
	json_object_object_add(sum, "release_lateness_ms", stat3_json(&s->lateness));
	json_object_object_add(sum, "wall_s", json_object_new_double(s->wall_s));
	json_object_object_add(sum, "reproductions_per_s", json_object_new_double(s->reproductions_per_s));
	json_object_object_add(sum, "cpu_ms_per_iteration", cpu_json(s));
	json_object_object_add(sum, "phase_ms", phases_json(s));
	json_object_object_add(sum, "scenario", json_object_new_string(rp->cfg->scenario));
	json_object_object_add(sum, "engine", json_object_new_string(rp->cfg->engine->name));
	json_object_object_add(sum, "mitigation", json_object_new_string(mitigation_names[rp->cfg->mitigate]));
	json_object_object_add(sum, "jobs", json_object_new_int((int)rp->cfg->jobs));
	if (uname(&u) == 0)
		json_object_object_add(sum, "kernel", json_object_new_string(u.release));
	json_object_object_add(root, "iterations", its);
	json_object_object_add(root, "summary", sum);
	res = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (res < 0) {
		const char *why = json_util_get_last_err();

		fprintf(stderr, "lagrace: --json %s: %.*s\n", path,
			why ? (int)strcspn(why, "\n") : 7, why ? why : "failed");
		return -1;
	}
	return 0;
}
