/*
 * report: what lagrace prints: a header (version, kernel and HZ, the
 * command line), one line per iteration with its timeline (times relative
 * to the kill) and its verdict in verdict.h's words, a summary with the
 * counts of cause (late release) and symptom (EBUSY) and of iterations
 * that reproduce (both), the p50/p99/max of the busy window and of the
 * release's lateness, TAP (--tap) and the JSON document (--json).
 *
 * Text lines fit in 80 columns. TAP output starts with "TAP version 13"
 * and the plan for the iterations asked for, and a run that stopped early
 * ends in "Bail out!", so that a TAP harness fails exactly when lagrace's
 * exit status does.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "race.h"
#include "runinfo.h"

struct stat3 {
	double p50, p99, max;  /* ms */
	unsigned n;            /* 0: no samples (JSON null) */
};

/* How many iterations showed one thing (a release path, ...). */
struct tally {
	char what[96];
	unsigned n;
};
#define REPORT_MAX_TALLY 8

struct summary {
	unsigned iterations, late_release, ebusy, errors, umount_ok;
	unsigned reproduced, late_only, ebusy_only, clean, unproven;
	unsigned hits;                 /* verdict_hit(): what --expect race
					* and --bisect count */
	unsigned lost_release, reap_blocked;
	unsigned not_run;      /* failed before their child: setup, lagfs */
	struct stat3 busy, lateness;
	double wall_s, reproductions_per_s;
	/* mean ms per iteration of each phase, over phase_n iterations
	 * without error: [0] before the fork, [1] fork to IO at lagfs, [2] to
	 * the kill, [3] to the reap, [4] to the first unmount, [5] busy window
	 * (the kernel's), [6] free to unmounted, [7] remount (lagfs's new
	 * session) */
	double phase_ms[8];
	unsigned phase_n;
	/* CPU per iteration: lagrace = main + lanes + children (the
	 * workloads the lanes forked) */
	double cpu_ms_lagrace, cpu_ms_lagfs;
	double cpu_ms_main, cpu_ms_lanes, cpu_ms_children;
	/* --trace: iterations traced, and of those with a record of the
	 * RELEASE, how many per release path ("delayed_fput") and per
	 * sender and path ("a kernel worker via delayed_fput") */
	unsigned traced, release_traced;
	struct tally paths[REPORT_MAX_TALLY], released_by[REPORT_MAX_TALLY];
	unsigned n_paths, n_released_by;
};
extern const char *const report_phase_names[8];

struct report {
	const struct race_cfg *cfg;
	const struct runinfo *ri;
	uint64_t main_cpu_us;          /* lagrace's main process */
	struct iter_result *results;
	size_t n, cap;
	uint64_t t_begin, t_end;
	int stop_signal;               /* the run was stopped by it, or 0 */
};

/* Before the first result: the header (TAP: version and plan). */
void report_begin(const struct report *rp, FILE *out);
/* A result arrived: keep it, and print its line (or TAP line); with
 * --explain, its story first (to story_out). */
void report_add(struct report *rp, const struct iter_result *r, FILE *out,
		FILE *story_out);
void report_summarize(const struct report *rp, struct summary *s);
void report_print_summary(const struct report *rp, const struct summary *s,
			  bool interrupted, FILE *out);
/* TAP: the run cannot count as passed (a write failed after the run). */
void report_bail_out(const struct report *rp, const char *why, FILE *out);
/* The iteration's line, wrapped to 80 columns. */
void report_print_line(const struct iter_result *r, enum mitigation m,
		       FILE *out);
/* What --expect race counts (and --bisect calls bad). */
bool report_hit(const struct report *rp, const struct iter_result *r);
/* Write the JSON document to path ("-": standard output). */
int report_write_json(const struct report *rp, const struct summary *s,
		      const char *path);
/* The verdict of the summary, in words. */
const char *report_verdict(const struct report *rp, const struct summary *s,
			   char *buf, size_t cap);

#endif
