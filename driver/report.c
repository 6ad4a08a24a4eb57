#include "report.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "narrate.h"
#include "result_json.h"
#include "scenario.h"
#include "story.h"
#include "verdict.h"

const char *const report_phase_names[8] = {
	"setup", "fork_to_io", "io_to_kill", "kill_to_reap", "reap_to_umount",
	"busy_window", "free_to_unmounted", "remount"
};

bool report_hit(const struct report *rp, const struct iter_result *r)
{
	return !r->error && verdict_hit(r->vclass, rp->cfg->mitigate);
}

/* ms relative to the kill, or "-" */
static void rel(char *buf, size_t cap, uint64_t t, uint64_t kill)
{
	if (!t || !kill)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%+.2f", ((double)t - (double)kill) / 1e6);
}

static size_t app(char *buf, size_t cap, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t app(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len >= cap)
		return len;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	return n > 0 ? len + (size_t)n : len;
}

/* "; released by kworker/1:0 via delayed_fput", or that the kernel's
 * trace has no record of the RELEASE. */
static size_t release_by_words(const struct iter_result *r, char *line,
			       size_t cap, size_t len)
{
	const struct ktrace_req *q = story_release_by(r);
	char who[160];

	if (!q)
		return r->t_release ? app(line, cap, len, "; the kernel's "
					  "trace has no record of the RELEASE")
				    : len;
	ktrace_release_words(q, r->child, who, sizeof(who));
	return app(line, cap, len, "; released by %s", who);
}

void report_print_line(const struct iter_result *r, enum mitigation m,
		       FILE *out)
{
	char o[16], io[16], reap[16], um[16], fr[16], rl[16], done[16];
	char head[32], line[1024];
	uint64_t k = r->t_kill;
	size_t len = 0;

	snprintf(head, sizeof(head), "#%-3u ", r->index);
	/* The error first: it is what the reader must see. */
	if (r->error && r->error != ITER_UNPROVEN)
		len = app(line, sizeof(line), len, "lane %u: error: %s%s",
			  r->lane, r->err, k ? "; " : "");
	if (r->error && !k) {
		/* An error is one line, as every error message is. */
		fprintf(out, "%s%s\n", head, line);
		return;
	}
	rel(o, sizeof(o), r->t_open, k);
	rel(io, sizeof(io), r->t_io, k);
	rel(reap, sizeof(reap), r->t_reap, k);
	rel(um, sizeof(um), r->t_umount1, k);
	rel(fr, sizeof(fr), r->t_free, k);
	rel(rl, sizeof(rl), r->t_release, k);
	rel(done, sizeof(done), r->t_umount_done, k);
	len = app(line, sizeof(line), len, "open %s io %s kill 0 reap %s "
		  "umount %s %s free %s release %s umount-done %s: ", o, io,
		  reap, r->umount1_errno ? strerrorname_np(r->umount1_errno)
		  : "ok", um, fr, rl, done);
	if (r->error == ITER_UNPROVEN)
		len = app(line, sizeof(line), len, "error: %s", r->err);
	else
		len = app(line, sizeof(line), len, "%s",
			  verdict_words(r->vclass, m));
	if (r->releases_after_reap && r->fs != FS_LAGFS)
		len = app(line, sizeof(line), len, "; free %.2f ms after the "
			  "reap (no RELEASE to see on %s)", r->lateness_ns / 1e6,
			  r->fs == FS_DIR ? "--fs-dir" : "tmpfs");
	else if (r->releases_after_reap)
		len = app(line, sizeof(line), len, "; RELEASE %.2f ms after the "
			  "reap%s", r->lateness_ns / 1e6, r->late_release ? ""
			  : r->busy_at_reap ? "" : " (the mount was free at the "
			  "reap)");
	if (r->ebusy)
		len = app(line, sizeof(line), len, "; busy %.2f ms",
			  r->busy_ns / 1e6);
	if (r->reap_blocked)
		len = app(line, sizeof(line), len, "; the reap waited for the "
			  "held IO");
	if (r->lagfs_lost_release && r->error != ITER_UNPROVEN)
		len = app(line, sizeof(line), len, "; lagfs never saw a "
			  "RELEASE (the mount was free at the reap)");
	if (r->trace.source != KT_SRC_NONE)
		len = release_by_words(r, line, sizeof(line), len);
	narrate_wrap(out, head, "     ", line);
}

static bool tap_ok(const struct report *rp, const struct iter_result *r)
{
	const struct race_cfg *cfg = rp->cfg;

	if (r->error)
		return false;
	if (cfg->expect == EXPECT_RACE)
		return report_hit(rp, r);
	/* --bisect: an iteration that reproduces makes the run "bad" */
	if (cfg->expect == EXPECT_CLEAN || cfg->bisect)
		return verdict_clean(r->vclass);
	return true;
}

void report_begin(const struct report *rp, FILE *out)
{
	const struct runinfo *ri = rp->ri;
	const char *p = rp->cfg->tap ? "# " : "";
	char cmd[2048], pre[32], buf[512], cont[8];

	if (rp->cfg->tap)
		fprintf(out, "TAP version 13\n1..%u\n", rp->cfg->iterations);
	else if (rp->cfg->explain)
		return; /* the narration's header says it all */
	runinfo_command(ri, cmd, sizeof(cmd));
	if (ri->hz)
		snprintf(buf, sizeof(buf), "%s, kernel %s, HZ %d", ri->version,
			 ri->kernel, ri->hz);
	else
		snprintf(buf, sizeof(buf), "%s, kernel %s, HZ unknown",
			 ri->version, ri->kernel);
	snprintf(pre, sizeof(pre), "%slagrace ", p);
	snprintf(cont, sizeof(cont), "%s  ", p);
	narrate_wrap(out, pre, cont, buf);
	snprintf(pre, sizeof(pre), "%scommand: ", p);
	narrate_wrap(out, pre, cont, cmd);
	if (ri->trace_source[0]) {
		snprintf(pre, sizeof(pre), "%skernel trace: ", p);
		narrate_wrap(out, pre, cont, ri->trace);
	}
	fflush(out);
}

void report_add(struct report *rp, const struct iter_result *r, FILE *out,
		FILE *story_out)
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
	if (rp->cfg->explain) {
		narrate_header(story_out, rp->ri, r);
		narrate_story(story_out, r, rp->cfg->mitigate);
		if (story_out != out)
			report_print_line(r, rp->cfg->mitigate, story_out);
		fflush(story_out);
	}
	if (rp->cfg->tap) {
		fprintf(out, "%sok %zu - iteration %u: %s%s\n",
			tap_ok(rp, r) ? "" : "not ", rp->n, r->index,
			r->error ? "error: " : "",
			r->error ? r->err : verdict_words(r->vclass,
							  rp->cfg->mitigate));
	} else if (!rp->cfg->quiet || rp->cfg->explain) {
		report_print_line(r, rp->cfg->mitigate, out);
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
	uint64_t lane_cpu[64] = { 0 }, child_cpu[64] = { 0 };
	uint64_t lagfs_cpu[64] = { 0 };
	unsigned n = 0;

	for (size_t i = 0; i < rp->n; i++) {
		const struct iter_result *r = &rp->results[i];
		uint64_t free_t = r->t_free ? r->t_free : r->t_umount1;

		if (r->lane < 64) {
			if (r->lane_cpu_us > lane_cpu[r->lane])
				lane_cpu[r->lane] = r->lane_cpu_us;
			if (r->child_cpu_us > child_cpu[r->lane])
				child_cpu[r->lane] = r->child_cpu_us;
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
	s->phase_n = n;
	for (int k = 0; n && k < 8; k++)
		s->phase_ms[k] /= n;
	if (!s->iterations)
		return;
	s->cpu_ms_main = rp->main_cpu_us / 1e3 / s->iterations;
	for (int l = 0; l < 64; l++) {
		s->cpu_ms_lanes += (lane_cpu[l] - child_cpu[l]) / 1e3;
		s->cpu_ms_children += child_cpu[l] / 1e3;
		s->cpu_ms_lagfs += lagfs_cpu[l] / 1e3;
	}
	s->cpu_ms_lanes /= s->iterations;
	s->cpu_ms_children /= s->iterations;
	s->cpu_ms_lagfs /= s->iterations;
	s->cpu_ms_lagrace = s->cpu_ms_main + s->cpu_ms_lanes +
			    s->cpu_ms_children;
}

static void count(struct tally *t, unsigned *n, const char *what)
{
	unsigned i;

	for (i = 0; i < *n && strcmp(t[i].what, what); i++)
		;
	if (i == *n) {
		if (*n == REPORT_MAX_TALLY)
			return;
		snprintf(t[(*n)++].what, sizeof(t[0].what), "%s", what);
	}
	t[i].n++;
}

/* --trace: who sent the RELEASE, from where, over the iterations. */
static void tally_releases(const struct report *rp, struct summary *s)
{
	for (size_t i = 0; i < rp->n; i++) {
		const struct iter_result *r = &rp->results[i];
		const struct ktrace_req *q = story_release_by(r);
		char path[64], words[96], what[160];

		if (r->trace.source == KT_SRC_NONE || !r->t_kill)
			continue;
		s->traced++;
		if (!q)
			continue;
		s->release_traced++;
		ktrace_path(q->stack, path, sizeof(path));
		count(s->paths, &s->n_paths, *path ? path : "unknown");
		snprintf(what, sizeof(what), "%s via %s",
			 ktrace_task_class(q, r->child),
			 ktrace_path_words(q->stack, words, sizeof(words)));
		count(s->released_by, &s->n_released_by, what);
	}
}

void report_summarize(const struct report *rp, struct summary *s)
{
	double *busy = calloc(rp->n + 1, sizeof(double));
	double *late = calloc(rp->n + 1, sizeof(double));
	unsigned nb = 0, nl = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < rp->n; i++) {
		const struct iter_result *r = &rp->results[i];
		bool ok = !r->error;

		s->iterations++;
		s->errors += r->error != 0;
		s->unproven += r->error == ITER_UNPROVEN;
		s->late_release += ok && r->late_release;
		s->ebusy += ok && r->ebusy;
		s->reproduced += ok && r->vclass == VC_REPRODUCED;
		s->late_only += ok && r->vclass == VC_LATE_ONLY;
		s->ebusy_only += ok && r->vclass == VC_EBUSY_ONLY;
		s->clean += ok && r->vclass == VC_CLEAN;
		s->hits += report_hit(rp, r);
		s->umount_ok += r->umount_ok;
		s->lost_release += ok && r->lagfs_lost_release;
		s->reap_blocked += r->reap_blocked;
		s->not_run += r->not_run;
		if (busy && ok && r->ebusy && r->busy_ns)
			busy[nb++] = r->busy_ns / 1e6;
		if (late && ok && r->late_release)
			late[nl++] = r->lateness_ns / 1e6;
	}
	tally_releases(rp, s);
	s->busy = stat3_of(busy, busy ? nb : 0);
	s->lateness = stat3_of(late, late ? nl : 0);
	free(busy);
	free(late);
	phases(rp, s);
	s->wall_s = (rp->t_end - rp->t_begin) / 1e9;
	s->reproductions_per_s = s->wall_s > 0 ? s->reproduced / s->wall_s : 0;
}

const char *report_verdict(const struct report *rp, const struct summary *s,
			   char *buf, size_t cap)
{
	enum mitigation m = rp->cfg->mitigate;
	bool hides = m == MIT_WAIT_RELEASE || m == MIT_LAZY;
	size_t len = 0;

	if (!s->iterations)
		return snprintf(buf, cap, "no iteration ran"), buf;
	if (s->iterations < rp->cfg->iterations && s->hits == s->iterations)
		return snprintf(buf, cap, "%s in the %u iterations that ran, "
				"of %u asked", hides ? "late release" :
				"race reproduced", s->iterations,
				rp->cfg->iterations), buf;
	if (s->hits == s->iterations && !hides)
		return snprintf(buf, cap, "RACE REPRODUCED in every "
				"iteration"), buf;
	if (s->hits == s->iterations)
		return snprintf(buf, cap, "late release in every iteration; "
				"%s kept the unmount from failing",
				mitigation_names[m]), buf;
	if (s->hits)
		len = app(buf, cap, len, "race reproduced in %u of %u "
			  "iterations", s->hits, s->iterations);
	else if (s->clean == s->iterations)
		len = app(buf, cap, len, "not reproduced: no late release, "
			  "no EBUSY");
	else
		len = app(buf, cap, len, "not reproduced");
	if (s->late_only && !hides)
		len = app(buf, cap, len, "; %u late release without EBUSY",
			  s->late_only);
	if (s->ebusy_only)
		len = app(buf, cap, len, "; %u EBUSY without a late release",
			  s->ebusy_only);
	if (s->errors)
		len = app(buf, cap, len, "; %u error%s", s->errors,
			  s->errors == 1 ? "" : "s");
	return buf;
}

void report_bail_out(const struct report *rp, const char *why, FILE *out)
{
	if (rp->cfg->tap) {
		fprintf(out, "Bail out! %s\n", why);
		fflush(out);
	}
}

/* The summary's lines: text, or TAP comments ("# "), wrapped to 80
 * columns. */
struct out {
	FILE *f;
	char pre[8], ind[8];
};

/* A line wrapped, or (linef) as long as it is. */
#define outf(o, ...) narrate_wrapf((o)->f, (o)->pre, (o)->ind, __VA_ARGS__)
#define linef(o, fmt, ...) fprintf((o)->f, "%s" fmt "\n", (o)->pre, \
				   __VA_ARGS__)

/* "N iterations: what", if n. */
static void count_line(const struct out *o, unsigned n, const char *noun,
		       const char *what)
{
	if (n)
		outf(o, "%u %s%s: %s", n, noun, n == 1 ? "" : "s", what);
}

static void summary_counts(const struct report *rp, const struct summary *s,
			   bool interrupted, const struct out *o)
{
	const struct race_cfg *c = rp->cfg;

	outf(o, "lagrace: scenario %s, engine %s, mitigation %s, %u lane%s%s%s",
	     scenario_name(c), engine_names[c->engine],
	     mitigation_names[c->mitigate], c->jobs, c->jobs > 1 ? "s" : "",
	     c->fs == FS_LAGFS ? "" : ", on ", c->fs == FS_TMPFS ? "tmpfs"
	     : c->fs == FS_DIR ? c->fs_dir : "");
	if (c->fs != FS_LAGFS)
		outf(o, "no filesystem events: a late release is the mount "
		     "busy after the reap (MNT_EXPIRE), then free");
	if (s->iterations < c->iterations || interrupted)
		outf(o, "ran %u of %u iterations %s", s->iterations,
		     c->iterations, interrupted ? "(interrupted: partial "
		     "summary)" : "(a lane stopped after an error)");
	linef(o, "reproduced %u/%u (late release and EBUSY in the same "
	      "iteration)", s->reproduced, s->iterations);
	linef(o, "late release %u/%u, EBUSY %u/%u, unmounted %u/%u, errors %u",
	      s->late_release, s->iterations, s->ebusy, s->iterations,
	      s->umount_ok, s->iterations, s->errors);
	count_line(o, s->late_only, "iteration",
		   verdict_words(VC_LATE_ONLY, c->mitigate));
	count_line(o, s->ebusy_only, "iteration",
		   verdict_words(VC_EBUSY_ONLY, c->mitigate));
	count_line(o, s->unproven, "error", "lagfs never saw a release of "
		   "the child's file while the mount was busy");
}

/* "released by (kernel trace): a kernel worker via delayed_fput 20/20" */
static void summary_releases(const struct summary *s, const struct out *o)
{
	char buf[512];
	size_t len = 0;

	if (!s->traced)
		return;
	for (unsigned i = 0; i < s->n_released_by; i++)
		len = app(buf, sizeof(buf), len, "%s%s %u/%u", i ? ", " : "",
			  s->released_by[i].what, s->released_by[i].n,
			  s->traced);
	if (s->release_traced < s->traced)
		len = app(buf, sizeof(buf), len, "%sno record of the RELEASE "
			  "%u/%u", len ? ", " : "",
			  s->traced - s->release_traced, s->traced);
	outf(o, "released by (kernel trace): %s", buf);
}

static void summary_times(const struct summary *s, const struct out *o)
{
	char buf[512];
	size_t len = 0;

	if (s->busy.n)
		linef(o, "busy window ms: p50 %.2f p99 %.2f max %.2f (%u)",
		      s->busy.p50, s->busy.p99, s->busy.max, s->busy.n);
	if (s->lateness.n)
		linef(o, "release after reap ms: p50 %.2f p99 %.2f max %.2f (%u)",
		      s->lateness.p50, s->lateness.p99, s->lateness.max,
		      s->lateness.n);
	count_line(o, s->lost_release, "iteration", "lagfs never saw the "
		   "child's release; the mount was free at the reap, so the "
		   "file was let go before it");
	count_line(o, s->reap_blocked, "iteration", "the reap waited for the "
		   "held IO, so the release came before it");
	summary_releases(s, o);
	linef(o, "%.2f s, %.1f verified reproductions per second", s->wall_s,
	      s->reproductions_per_s);
	len = app(buf, sizeof(buf), len, "per iteration: CPU %.2f ms lagrace "
		  "(lanes %.2f, their children %.2f, main %.2f), %.2f ms "
		  "lagfs; mean ms:", s->cpu_ms_lagrace, s->cpu_ms_lanes,
		  s->cpu_ms_children, s->cpu_ms_main, s->cpu_ms_lagfs);
	for (int k = 0; k < 8; k++)
		len = app(buf, sizeof(buf), len, " %s %.2f",
			  report_phase_names[k], s->phase_ms[k]);
	outf(o, "%s", buf);
}

/* TAP: a run that stopped early cannot pass. */
static void summary_bail_out(const struct report *rp, const struct summary *s,
			     bool interrupted, FILE *out)
{
	unsigned ran = s->iterations, asked = rp->cfg->iterations;

	if (!rp->cfg->tap)
		return;
	if (rp->stop_signal)
		fprintf(out, "Bail out! stopped by SIG%s after %u of %u "
			"iterations\n", sigabbrev_np(rp->stop_signal), ran,
			asked);
	else if (interrupted)
		fprintf(out, "Bail out! interrupted after %u of %u iterations\n",
			ran, asked);
	else if (ran < asked)
		fprintf(out, "Bail out! ran %u of %u iterations: a lane "
			"stopped after an error\n", ran, asked);
}

void report_print_summary(const struct report *rp, const struct summary *s,
			  bool interrupted, FILE *out)
{
	struct out o = { .f = out };
	char v[256];

	snprintf(o.pre, sizeof(o.pre), "%s", rp->cfg->tap ? "# " : "");
	snprintf(o.ind, sizeof(o.ind), "%s  ", o.pre);
	summary_counts(rp, s, interrupted, &o);
	summary_times(s, &o);
	/* Nothing ran: no verdict on the race, only why, on one line (an
	 * error message is one line, even past 80 columns). */
	if (s->iterations && s->not_run == s->iterations)
		fprintf(out, "%sverdict: could not run: %s\n", o.pre,
			rp->results[0].err);
	else
		outf(&o, "verdict: %s", report_verdict(rp, s, v, sizeof(v)));
	summary_bail_out(rp, s, interrupted, out);
	fflush(out);
}

int report_write_json(const struct report *rp, const struct summary *s,
		      const char *path)
{
	json_object *root = json_object_new_object();
	json_object *its = json_object_new_array();
	int res;

	for (size_t i = 0; i < rp->n; i++)
		json_object_array_add(its, result_to_json(&rp->results[i],
							  rp->cfg->mitigate));
	json_object_object_add(root, "run", runinfo_to_json(rp->ri));
	json_object_object_add(root, "iterations", its);
	json_object_object_add(root, "summary", summary_to_json(rp, s));
	if (!strcmp(path, "-")) {
		res = json_object_to_fd(STDOUT_FILENO, root,
					JSON_C_TO_STRING_PRETTY |
					JSON_C_TO_STRING_NOSLASHESCAPE);
		if (res == 0 && write(STDOUT_FILENO, "\n", 1) != 1)
			res = -1;
	} else {
		res = json_object_to_file_ext(path, root,
					      JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	json_object_put(root);
	if (res < 0) {
		const char *why = json_util_get_last_err();

		fprintf(stderr, "lagrace: --json %s: %.*s\n",
			strcmp(path, "-") ? path : "- (standard output)",
			why ? (int)strcspn(why, "\n") : 7, why ? why : "failed");
		return -1;
	}
	return 0;
}
