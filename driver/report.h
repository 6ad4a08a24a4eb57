/*
 * report: what lagrace prints: one line per iteration with its timeline
 * (times relative to the kill), a summary with hit rates and the p50/p99/max
 * of the busy window and of the release's lateness, TAP lines (--tap) and
 * the JSON document (--json).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "race.h"

struct stat3 {
	double p50, p99, max;  /* ms */
	unsigned n;
};

struct summary {
	unsigned iterations, late_release, ebusy, errors, umount_ok;
	unsigned lost_release, reap_blocked;
	unsigned not_run;      /* failed before their child: setup, lagfs */
	struct stat3 busy, lateness;
	double wall_s, reproductions_per_s;
	/* mean ms per iteration of each phase, over iterations without error:
	 * [0] before the fork, [1] fork to IO at lagfs, [2] to the kill,
	 * [3] to the reap, [4] to the first unmount, [5] busy window (the
	 * kernel's), [6] free to unmounted, [7] remount (lagfs's new session) */
	double phase_ms[8];
	double cpu_ms_lagrace, cpu_ms_lagfs;   /* per iteration */
};
extern const char *const report_phase_names[8];

struct report {
	const struct race_cfg *cfg;
	uint64_t main_cpu_us;          /* lagrace's main process */
	struct iter_result *results;
	size_t n, cap;
	uint64_t t_begin, t_end;
};

/* A result arrived: keep it, and print its line (or TAP line). */
void report_add(struct report *rp, const struct iter_result *r, FILE *out);
void report_summarize(const struct report *rp, struct summary *s);
void report_print_summary(const struct report *rp, const struct summary *s,
			  bool interrupted, FILE *out);
/* Whether an iteration hit: a late release proven from lagfs's events. */
bool report_hit(const struct iter_result *r);
int report_write_json(const struct report *rp, const struct summary *s,
		      const char *path);

#endif
