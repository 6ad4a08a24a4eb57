#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "scenario.h"
#include "version.h"
#include "report_err.h"

#define MS 1000000ull

enum {
	O_SCENARIO = 256, O_ENGINE, O_ITER, O_JOBS, O_MITIGATE, O_EXPECT,
	O_BISECT, O_JSON, O_TAP, O_MOUNT, O_LOG, O_CONTROL, O_FUSERMOUNT,
	O_DIRECT, O_BUFFERED, O_ASYNC, O_NO_ASYNC, O_RW, O_QD, O_FILES,
	O_BS, O_FUSE_DIO, O_NO_FUSE_DIO, O_HOLD, O_LIMIT, O_SEED, O_LAGFS,
	O_QUIET, O_NO_NS, O_FUSE_OPTS, O_SVG, O_EXPLAIN, O_CLOSE,
	O_NO_CLOSE, O_HELP, O_VERSION, O_BISECT_FIX
};

static const struct option longopts[] = {
	{ "scenario", required_argument, NULL, O_SCENARIO },
	{ "engine", required_argument, NULL, O_ENGINE },
	{ "iterations", required_argument, NULL, O_ITER },
	{ "jobs", required_argument, NULL, O_JOBS },
	{ "mitigate", required_argument, NULL, O_MITIGATE },
	{ "expect", required_argument, NULL, O_EXPECT },
	{ "bisect", no_argument, NULL, O_BISECT },
	{ "bisect-fix", no_argument, NULL, O_BISECT_FIX },
	{ "json", required_argument, NULL, O_JSON },
	{ "tap", no_argument, NULL, O_TAP },
	{ "mount", required_argument, NULL, O_MOUNT },
	{ "log", required_argument, NULL, O_LOG },
	{ "control", required_argument, NULL, O_CONTROL },
	{ "fusermount", no_argument, NULL, O_FUSERMOUNT },
	{ "direct", no_argument, NULL, O_DIRECT },
	{ "buffered", no_argument, NULL, O_BUFFERED },
	{ "async", no_argument, NULL, O_ASYNC },
	{ "no-async", no_argument, NULL, O_NO_ASYNC },
	{ "rw", required_argument, NULL, O_RW },
	{ "qd", required_argument, NULL, O_QD },
	{ "files", required_argument, NULL, O_FILES },
	{ "bs", required_argument, NULL, O_BS },
	{ "fuse-direct-io", no_argument, NULL, O_FUSE_DIO },
	{ "no-fuse-direct-io", no_argument, NULL, O_NO_FUSE_DIO },
	{ "close-in-flight", no_argument, NULL, O_CLOSE },
	{ "no-close-in-flight", no_argument, NULL, O_NO_CLOSE },
	{ "hold", required_argument, NULL, O_HOLD },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "lagfs", required_argument, NULL, O_LAGFS },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "no-namespace", no_argument, NULL, O_NO_NS },
	{ "fuse-opts", required_argument, NULL, O_FUSE_OPTS },
	{ "svg", required_argument, NULL, O_SVG },
	{ "explain", no_argument, NULL, O_EXPLAIN },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

void options_usage(FILE *to)
{
	fprintf(to,
"usage: lagrace [--scenario async-dio|exit-punt|chance]\n"
"               [--engine uring|aio|sync|mixed] [--iterations N] [--jobs N]\n"
"               [--mitigate none|retry|wait-release|lazy] [--expect race|clean]\n"
"               [--bisect|--bisect-fix] [--json FILE|-] [--svg FILE] [--tap]\n"
"               [--quiet] [--explain] [--mount DIR --log FILE --control SOCK]\n"
"               [--fusermount]\n"
"       lagrace matrix [--iterations N] [--jobs N] [--fusermount] [--no-namespace]\n"
"               [--lagfs PATH] [--limit DUR] [--hold DUR] [--seed N]\n"
"       lagrace explain --json FILE --iteration N\n"
"       lagrace cleanup    (remove what killed runs left behind)\n"
"engine options: --direct|--buffered  --async|--no-async  --rw read|write\n"
"               --qd N  --files N  --bs BYTES  --fuse-direct-io|--no-fuse-direct-io\n"
"               --close-in-flight|--no-close-in-flight (the child closes its\n"
"               files once its IO is in flight, before the kill)\n"
"other: --hold DUR (keep the mount busy this long after EBUSY, default 0)\n"
"       --limit DUR (give up waiting for the release, default 5s)\n"
"       --seed N  --lagfs PATH  --no-namespace (root: use the host's mounts)\n"
"       --fuse-opts OPTS (lagfs -o, e.g. no_async_dio)\n"
"       --version  --help\n"
"\n"
"Scenarios:\n");
	for (const struct scenario *s = scenarios; s->name; s++)
		fprintf(to, "  %-10s %s\n", s->name, s->summary);
	fprintf(to, "Engines:\n");
	for (const struct engine_ops *const *e = engines; *e; e++)
		fprintf(to, "  %-10s %s\n", (*e)->name, (*e)->help);
	fprintf(to,
"An iteration reproduces when lagfs saw a late release of the child's file\n"
"and the first unmount failed with EBUSY.\n"
"Exit status: 0 when --expect is met (race: every iteration reproduced;\n"
"clean: none showed a late release or EBUSY), 1 otherwise, 2 on usage\n"
"errors (also an unwritable --json or --svg); --bisect: 0 none reproduced,\n"
"1 one did, 125 could not run (for git bisect run); --bisect-fix: 0 one\n"
"reproduced, 1 none did (git bisect start --term-old=broken --term-new=fixed).\n");
}

static unsigned count(const char *opt, const char *s, unsigned min,
		      unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max)
		die_usage("%s '%s': need a whole number from %u to %u", opt, s,
			    min, max);
	return (unsigned)v;
}

static uint64_t dur(const char *opt, const char *s)
{
	const char *why;
	uint64_t ns;

	if (duration_parse(s, &ns, &why) < 0)
		die_usage("%s '%s': %s", opt, s, why);
	if (ns == DURATION_INF)
		die_usage("%s '%s': must be finite", opt, s);
	return ns;
}

static enum mitigation mitigation(const char *s)
{
	static const char *const names[] = { "none", "retry", "wait-release",
					     "lazy" };

	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return (enum mitigation)i;
	die_usage("unknown mitigation '%s' (none, retry, wait-release, lazy)",
		    s);
}

static void defaults(struct race_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->scenario = "async-dio";
	c->eo.qd = 1;
	c->eo.nfiles = 1;
	c->eo.bs = 4096;
	c->iterations = 20;
	c->jobs = 1;
	c->hold_ns = 0;
	c->limit_ns = 5000 * MS;
	c->reap_wait_ns = 100 * MS;
	c->retry_max = 100; /* 1 ms apart */
	c->seed = 1;
}

/* Explicit engine options, applied over the scenario's. */
struct overrides {
	const char *engine;
	const char *fuse_opts;          /* replaces the scenario's */
	int direct, async, write, fuse_dio, close; /* -1: the scenario's */
	unsigned qd, files, bs;
};

static void apply(struct race_cfg *c, const struct overrides *o)
{
	bool held = c->arrival == ARRIVE_PARK;
	bool fuse_dio = c->rules[0] && !strcmp(c->rules[0], RULE_DIRECT_IO);
	bool keep = c->release_on_exit;
	int n = 0;

	if (o->engine && !(c->engine = engine_find(o->engine)))
		die_usage("unknown engine '%s' (uring, aio, sync, mixed)",
			    o->engine);
	if (o->direct >= 0) c->eo.direct = o->direct;
	if (o->async >= 0) c->eo.async = o->async;
	if (o->write >= 0) c->eo.write = o->write;
	if (o->fuse_dio >= 0) fuse_dio = o->fuse_dio;
	if (o->close >= 0) c->eo.close_in_flight = o->close;
	if (o->qd) c->eo.qd = o->qd;
	if (o->files) c->eo.nfiles = o->files;
	if (o->bs) c->eo.bs = o->bs;
	if (o->fuse_opts) c->fuse_opts = o->fuse_opts;
	memset(c->rules, 0, sizeof(c->rules));
	if (fuse_dio)
		c->rules[n++] = RULE_DIRECT_IO;
	if (held && keep)
		c->rules[n++] = c->eo.write ? RULE_HOLD_WRITE_KEEP
					    : RULE_HOLD_READ_KEEP;
	else if (held)
		c->rules[n++] = c->eo.write ? RULE_HOLD_WRITE : RULE_HOLD_READ;
}

static void check(struct race_cfg *c)
{
	if (c->mount_dir && (!c->mount_log || !c->mount_control))
		die_usage("--mount needs --log FILE and --control SOCK of "
			    "that lagfs");
	if (!c->mount_dir && (c->mount_log || c->mount_control))
		die_usage("--log and --control go with --mount");
	if (c->mount_dir && c->jobs > 1)
		die_usage("--mount runs one lane: --jobs must be 1");
	if (c->eo.bs % 4096)
		die_usage("--bs '%zu': need a multiple of 4096", c->eo.bs);
	if (c->eo.bs * c->eo.qd > ENGINE_FILE_SIZE * c->eo.nfiles)
		die_usage("--qd %u of --bs %zu do not fit in %u files",
			    c->eo.qd, c->eo.bs, c->eo.nfiles);
	if (c->eo.close_in_flight && !c->engine->closes_in_flight)
		die_usage("--close-in-flight: engine '%s' cannot close its "
			    "files with IO in flight (uring can)",
			    c->engine->name);
	if (c->eo.close_in_flight && c->arrival != ARRIVE_PARK)
		die_usage("--close-in-flight needs IO that lagfs holds "
			    "(not --scenario %s)", c->scenario);
	if (c->expect != EXPECT_NONE && c->bisect)
		die_usage("--bisect and --expect exclude each other");
	/* TAP judges each iteration; a fix's bisect asks whether any hit. */
	if (c->bisect_fix && c->tap)
		die_usage("--bisect-fix and --tap exclude each other");
	if (c->tap && c->json_path && !strcmp(c->json_path, "-"))
		die_usage("--json - and --tap both want standard output");
}

/* --explain tells one iteration: say what it overrides. */
static void explain_one(struct race_cfg *c, bool iters, bool jobs)
{
	if ((iters && c->iterations != 1) || (jobs && c->jobs != 1))
		fprintf(stderr, "lagrace: --explain tells one iteration in one "
			"lane: %s%s%s ignored\n", iters && c->iterations != 1
			? "--iterations" : "", iters && c->iterations != 1 &&
			jobs && c->jobs != 1 ? " and " : "",
			jobs && c->jobs != 1 ? "--jobs" : "");
	c->iterations = c->jobs = 1;
}

void options_parse(int argc, char **argv, struct race_cfg *c)
{
	struct overrides o = { .direct = -1, .async = -1, .write = -1,
			       .fuse_dio = -1, .close = -1 };
	const struct scenario *sc;
	bool iters = false, jobs = false;
	int opt;

	defaults(c);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_SCENARIO: c->scenario = optarg; break;
		case O_ENGINE: o.engine = optarg; break;
		case O_ITER: c->iterations = count("--iterations", optarg, 1, 10000000); iters = true; break;
		case O_JOBS: c->jobs = count("--jobs", optarg, 1, 64); jobs = true; break;
		case O_MITIGATE: c->mitigate = mitigation(optarg); break;
		case O_EXPECT:
			if (!strcmp(optarg, "race")) c->expect = EXPECT_RACE;
			else if (!strcmp(optarg, "clean")) c->expect = EXPECT_CLEAN;
			else die_usage("--expect '%s': race or clean", optarg);
			break;
		case O_BISECT: c->bisect = true; break;
		case O_BISECT_FIX: c->bisect = c->bisect_fix = true; break;
		case O_JSON: c->json_path = optarg; break;
		case O_TAP: c->tap = true; break;
		case O_MOUNT: c->mount_dir = optarg; break;
		case O_LOG: c->mount_log = optarg; break;
		case O_CONTROL: c->mount_control = optarg; break;
		case O_FUSERMOUNT: c->fusermount = true; break;
		case O_DIRECT: o.direct = 1; break;
		case O_BUFFERED: o.direct = 0; break;
		case O_ASYNC: o.async = 1; break;
		case O_NO_ASYNC: o.async = 0; break;
		case O_RW:
			if (strcmp(optarg, "read") && strcmp(optarg, "write"))
				die_usage("--rw '%s': read or write", optarg);
			o.write = !strcmp(optarg, "write");
			break;
		case O_QD: o.qd = count("--qd", optarg, 1, 4096); break;
		case O_FILES: o.files = count("--files", optarg, 1, 1024); break;
		case O_BS: o.bs = count("--bs", optarg, 4096, 1u << 20); break;
		case O_FUSE_DIO: o.fuse_dio = 1; break;
		case O_NO_FUSE_DIO: o.fuse_dio = 0; break;
		case O_CLOSE: o.close = 1; break;
		case O_NO_CLOSE: o.close = 0; break;
		case O_HOLD: c->hold_ns = dur("--hold", optarg); break;
		case O_LIMIT:
			c->limit_ns = dur("--limit", optarg);
			/* No time to wait for anything: every iteration fails. */
			if (!c->limit_ns)
				die_usage("--limit '%s': must be more than 0",
					    optarg);
			break;
		case O_SEED: c->seed = count("--seed", optarg, 0, UINT_MAX); break;
		case O_LAGFS: c->lagfs_bin = optarg; break;
		case O_QUIET: c->quiet = true; break;
		case O_NO_NS: c->no_namespace = true; break;
		case O_FUSE_OPTS: o.fuse_opts = optarg; break;
		case O_SVG: c->svg_path = optarg; break;
		case O_EXPLAIN: c->explain = true; break;
		case 'h': case O_HELP: options_usage(stdout); exit(0);
		case O_VERSION: printf("lagrace %s\n", LAG_VERSION); exit(0);
		case ':': die_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			/* getopt has not moved past a short option in a cluster */
			if (optopt)
				die_usage("unknown option '-%c' (try 'lagrace --help')", optopt);
			die_usage("unknown option '%s' (try 'lagrace --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	sc = scenario_find(c->scenario);
	if (!sc)
		die_usage("unknown scenario '%s' (async-dio, exit-punt, chance)",
			    c->scenario);
	sc->apply(c);
	apply(c, &o);
	check(c);
	if (c->explain)
		explain_one(c, iters, jobs);
}
