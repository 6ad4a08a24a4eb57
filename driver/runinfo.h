/*
 * runinfo: what a run needs to be rerun and understood later: the command
 * line, lagrace's version, the kernel release and its HZ, the lagfs rules
 * and options, the seed and when it ran. The --json document keeps it
 * ("run"), and the header of --explain prints it, live or rebuilt from a
 * JSON document (`lagrace explain`), in the same words.
 *
 * HZ is not offered by any interface; runinfo_find_hz() reads CONFIG_HZ
 * from /proc/config.gz or /boot/config-RELEASE, and else measures it from
 * the jiffies counter of /proc/timer_list (root only). hz 0 means unknown.
 */
#ifndef RUNINFO_H
#define RUNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "race.h"

struct runinfo {
	char version[64];
	char kernel[128];            /* uname -r */
	int hz;                      /* CONFIG_HZ; 0 unknown */
	char hz_source[64];          /* where hz came from */
	char started[32];            /* UTC, ISO 8601, when the run began */
	int argc;
	char **argv;                 /* the command line as given */
	const char *rules[RACE_MAX_RULES + 1]; /* lagfs rules, NULL-ended */
	const char *fuse_opts;       /* lagfs -o, or NULL */
	const char *scenario, *engine;
	enum mitigation mitigate;
	bool fusermount;
	unsigned seed, iterations, jobs;
	/* --trace: what the kernel's trace came from ("tracepoint", ...;
	 * "" when not traced) and, in words, what was traced, or why not */
	char trace_source[16];
	char trace[200];
};

/* For this run: everything but hz (runinfo_find_hz, which may take
 * 100 ms when it has to measure). */
void runinfo_init(struct runinfo *ri, const struct race_cfg *cfg, int argc,
		  char **argv);
void runinfo_find_hz(struct runinfo *ri);

/* CONFIG_HZ=N in the text of a kernel config: N, or 0. */
int runinfo_hz_from_config(const char *text);
/* The CONFIG_HZ value (100, 250, 300, 1000) nearest to a measured rate,
 * or 0 when none is within 10 %. */
int runinfo_hz_nearest(double measured);

/* The command line for people: lagrace's name without its directory, and
 * the values of path options (--json, --svg, --lagfs, --mount, --log,
 * --control) as their last component, so no temporary directory shows. */
void runinfo_command(const struct runinfo *ri, char *buf, size_t cap);

#endif
