#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "cleanup.h"
#include "duration.h"
#include "explain_cmd.h"
#include "judge_cmd.h"
#include "matrix.h"
#include "names.h"
#include "narrate.h"
#include "report_err.h"
#include "scenario.h"
#include "version.h"
#include "workload_cfg.h"

#define MS 1000000ull
#define HELP_COL 24             /* where an option's help starts */

static const char *const rw_names[] = { "read", "write" };

#define FIELD(f) .off = offsetof(struct race_cfg, f), \
		 .size = sizeof(((struct race_cfg *)0)->f)
#define GROUP(h) { .kind = OPT_GROUP, .help = h }
#define FLAG(n, f, v, h, ...) { .name = n, .kind = OPT_FLAG, FIELD(f), \
	.value = v, .help = h, __VA_ARGS__ }
#define COUNT(n, f, lo, hi, a, h, ...) { .name = n, .kind = OPT_COUNT, \
	FIELD(f), .min = lo, .max = hi, .arg = a, .help = h, __VA_ARGS__ }
/* lo 1: "must be more than 0" */
#define DURATION(n, f, lo, h, ...) { .name = n, .kind = OPT_DURATION, \
	FIELD(f), .min = lo, .arg = "DUR", .help = h, __VA_ARGS__ }
#define CHOICE(n, f, tbl, noun_, h, ...) { .name = n, .kind = OPT_CHOICE, \
	FIELD(f), .names = tbl, .n_names = ARRAY_SIZE(tbl), .noun = noun_, \
	.help = h, __VA_ARGS__ }
#define STRING(n, f, a, h, ...) { .name = n, .kind = OPT_STRING, FIELD(f), \
	.arg = a, .help = h, __VA_ARGS__ }
#define LIST(n, f, a, h, ...) { .name = n, .kind = OPT_LIST, FIELD(f), \
	.arg = a, .help = h, __VA_ARGS__ }
#define MATRIX .flags = OPT_MATRIX

/* Every option of lagrace, in --help's order. */
static const struct race_opt opts[] = {
	CHOICE("scenario", scenario, scenario_names, "scenario",
	       "what to make happen (below; default async-dio)"),
	CHOICE("engine", engine, engine_names, "engine",
	       "how the child puts IO in flight (below)"),
	COUNT("iterations", iterations, 1, 10000000, "N",
	      "iterations to run (default 20)", MATRIX),
	COUNT("jobs", jobs, 1, 64, "N|auto", "lanes running at once (default "
	      "1; auto: as many as keep this machine's CPUs busy)",
	      .flags = OPT_MATRIX | OPT_AUTO),
	CHOICE("mitigate", mitigate, mitigation_names, "mitigation",
	       "how to unmount after the reap (default none)"),
	CHOICE("expect", expect, expect_names, NULL,
	       "exit 0 only if every iteration reproduced (race) or none "
	       "showed a late release or EBUSY (clean)"),
	FLAG("bisect", bisect, true, "exit status for git bisect run"),
	FLAG("bisect-fix", bisect_fix, true, "exit status for git bisect run "
	     "on a fix: a hit is the old behaviour"),
	STRING("json", json_path, "FILE|-", "write the results as JSON"),
	STRING("svg", svg_path, "FILE", "draw the iterations' timelines"),
	FLAG("tap", tap, true, "TAP on standard output"),
	FLAG("quiet", quiet, true, "no line for each iteration"),
	FLAG("explain", explain, true, "tell one iteration step by step"),
	FLAG("trace", trace, TRACE_ON, "record which task sent the child's "
	     "RELEASE, and its kernel stack (root; default: when possible)",
	     MATRIX),
	FLAG("no-trace", trace, TRACE_OFF, "do not", MATRIX),
	STRING("mount", mount_dir, "DIR",
	       "use the lagfs mounted there (one lane), with:"),
	STRING("log", mount_log, "FILE", "its --log"),
	STRING("control", mount_control, "SOCK", "its --control"),
	FLAG("fusermount", fusermount, true,
	     "mount and unmount through fusermount3", MATRIX),
	GROUP("Your own workload (lagrace [OPTION]... -- CMD [ARG]...):"),
	LIST("rule", user_rules, "RULE", "a lagfs rule, added to the "
	     "scenario's (repeatable); with -- CMD, the only ones unless "
	     "--scenario is given"),
	STRING("rules", rules_file, "FILE", "lagfs rules, one a line, as "
	       "--rule"),
	STRING("populate", populate, "DIR", "-- CMD: copy DIR into each "
	       "iteration's fresh backing directory"),
	STRING("kill-on", kill_on, "park[:N]", "kill at the first (Nth) "
	       "request lagfs parks (default with a hold rule)"),
	DURATION("kill-after", kill_after_ns, 1, "kill DUR after the start"),
	STRING("kill-at", kill_at, "MIN..MAX", "kill at a random moment "
	       "from MIN to MAX after the start (--seed), as generic/388"),
	CHOICE("fs", fs, fs_names, "filesystem", "where the child's files "
	       "are: lagfs (default) or tmpfs (no hold)"),
	STRING("fs-dir", fs_dir, "DIR", "on DIR's filesystem, through a bind "
	       "mount (no hold)"),
	GROUP("Engine options, over the scenario's:"),
	FLAG("direct", eo.direct, true, "open the files with O_DIRECT"),
	FLAG("buffered", eo.direct, false, "use the page cache"),
	FLAG("async", eo.async, true, "io_uring: IOSQE_ASYNC (the io-wq punt)"),
	FLAG("no-async", eo.async, false, "io_uring: no IOSQE_ASYNC"),
	FLAG("sqpoll", eo.sqpoll, true, "io_uring: an SQPOLL ring"),
	CHOICE("rw", eo.write, rw_names, NULL, "read or write"),
	COUNT("qd", eo.qd, 1, 4096, "N", "IOs in flight at once"),
	COUNT("files", eo.nfiles, 1, 1024, "N", "files the child uses"),
	COUNT("bs", eo.bs, 4096, 1u << 20, "BYTES",
	      "bytes per IO, a multiple of 4096"),
	FLAG("fuse-direct-io", lagfs.direct_io, true,
	     "lagfs answers the child's opens with direct_io"),
	FLAG("no-fuse-direct-io", lagfs.direct_io, false, "it does not"),
	FLAG("close-in-flight", eo.close_in_flight, true,
	     "the child closes its files once its IO is in flight, before "
	     "the kill"),
	FLAG("no-close-in-flight", eo.close_in_flight, false,
	     "it keeps them open"),
	GROUP("Other options:"),
	FLAG("no-namespace", no_namespace, true,
	     "root: use the host's mounts", MATRIX),
	STRING("lagfs", lagfs_bin, "PATH", "the lagfs to run", MATRIX),
	DURATION("limit", limit_ns, 1,
		 "give up waiting for the release (default 5s)", MATRIX),
	DURATION("hold", hold_ns, 0,
		 "keep the mount busy this long after EBUSY (default 0)",
		 MATRIX),
	COUNT("seed", seed, 0, UINT_MAX, "N", "random choices (default 1)",
	      MATRIX),
	STRING("fuse-opts", lagfs.options, "OPTS",
	       "lagfs -o OPTS, e.g. no_async_dio"),
	{ .name = "version", .kind = OPT_VERSION, .help = "print the version" },
	{ .name = "help", .kind = OPT_HELP, .help = "print this text", MATRIX },
};

static const struct subcommand subcommands[] = {
	{ "matrix", matrix_main, NULL, OPT_MATRIX,
	  "every engine and cache/punt combination: the hit-rate table" },
	{ "explain", explain_main, "--json FILE --iteration N", 0,
	  "tell one iteration of a --json document" },
	{ "cleanup", cleanup_main, "", 0,
	  "remove what killed runs left behind" },
	{ "judge", judge_main, "LOG --mark TEXT|--reaped-at NS [--ebusy]\n"
	  "                      [--json FILE|-] [--expect race|clean]", 0,
	  "the verdict of a lagfs log written under any harness" },
};

const struct subcommand *subcommand_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}

/* ---- scanning --------------------------------------------------------- */

static bool wanted(const struct race_opt *o, unsigned need)
{
	return o->kind != OPT_GROUP && (o->flags & need) == need;
}

static bool takes_arg(const struct race_opt *o)
{
	return o->kind >= OPT_COUNT && o->kind <= OPT_LIST;
}

void options_scan(int argc, char **argv, unsigned need, const char *who,
		  opt_take_fn *take, void *ctx)
{
	struct option lo[ARRAY_SIZE(opts) + 1];
	const struct race_opt *help = NULL;
	const char *prog = prog_name();
	size_t n = 0;
	int opt;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		if (!wanted(&opts[i], need))
			continue;
		lo[n++] = (struct option){ opts[i].name, takes_arg(&opts[i]) ?
					   required_argument : no_argument,
					   NULL, 256 + (int)i };
		if (opts[i].kind == OPT_HELP)
			help = &opts[i];
	}
	opterr = 0;
	optind = 0;
	/* take() names a bad value as the program, scan errors as who */
	set_prog_name(who);
	while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		set_prog_name(prog);
		if (opt >= 256)
			take(&opts[opt - 256], optarg, ctx);
		else if (opt == 'h' && help)
			take(help, NULL, ctx);
		set_prog_name(who);
		if (opt == ':')
			die_usage("option '%s' needs an argument",
				  argv[optind - 1]);
		/* getopt has not moved past a short option in a cluster
		 * (a long option given a value it takes none of: its val) */
		if (opt == '?' && optopt && optopt < 256)
			die_usage("unknown option '-%c' (try '%s --help')",
				  optopt, who);
		if (opt == '?')
			die_usage("unknown option '%s' (try '%s --help')",
				  argv[optind - 1], who);
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	set_prog_name(prog);
}

/* ---- values ----------------------------------------------------------- */

static unsigned long long count(const struct race_opt *o, const char *s)
{
	unsigned long long v;
	char *end;

	if ((o->flags & OPT_AUTO) && !strcmp(s, "auto"))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < o->min || v > o->max)
		die_usage("--%s '%s': need a whole number from %llu to %llu%s",
			  o->name, s, o->min, o->max,
			  o->flags & OPT_AUTO ? ", or auto" : "");
	return v;
}

static unsigned long long duration(const struct race_opt *o, const char *s)
{
	const char *why;
	uint64_t ns;

	if (duration_parse(s, &ns, &why) < 0)
		die_usage("--%s '%s': %s", o->name, s, why);
	if (ns == DURATION_INF)
		die_usage("--%s '%s': must be finite", o->name, s);
	/* No time to wait for anything: every iteration would fail. */
	if (ns < o->min)
		die_usage("--%s '%s': must be more than 0", o->name, s);
	return ns;
}

static unsigned long long choice(const struct race_opt *o, const char *s)
{
	int i = name_index(o->names, o->n_names, s);
	char list[256];

	if (i >= 0)
		return (unsigned)i;
	if (o->noun)
		die_usage("unknown %s '%s' (%s)", o->noun, s,
			  name_join(o->names, o->n_names, ", ", ", ", list,
				    sizeof(list)));
	die_usage("--%s '%s': %s", o->name, s,
		  name_join(o->names, o->n_names, ", ", " or ", list,
			    sizeof(list)));
}

static void append(const struct race_opt *o, const char **list,
		   const char *arg)
{
	size_t n = 0;

	while (list[n])
		n++;
	if (n == RACE_MAX_RULES)
		die_usage("--%s '%s': at most %d of them", o->name, arg,
			  RACE_MAX_RULES);
	list[n] = arg;
}

/* A bool, an enum, an unsigned or a 64-bit field. */
static void store(void *field, size_t size, unsigned long long v)
{
	switch (size) {
	case sizeof(uint8_t): *(uint8_t *)field = (uint8_t)v; break;
	case sizeof(uint32_t): *(uint32_t *)field = (uint32_t)v; break;
	case sizeof(uint64_t): *(uint64_t *)field = v; break;
	default: abort(); /* a field the table cannot set */
	}
}

/* ---- lagrace's own command line --------------------------------------- */

/* The options given, their values in cfg's fields. */
struct given {
	struct race_cfg cfg;
	bool set[ARRAY_SIZE(opts)];
};

static void take(const struct race_opt *o, const char *arg, void *ctx)
{
	struct given *g = ctx;
	void *field = (char *)&g->cfg + o->off;

	switch (o->kind) {
	case OPT_HELP: options_usage(stdout); exit(0);
	case OPT_VERSION: printf("lagrace %s\n", LAG_VERSION); exit(0);
	case OPT_FLAG: store(field, o->size, o->value); break;
	case OPT_COUNT: store(field, o->size, count(o, arg)); break;
	case OPT_DURATION: store(field, o->size, duration(o, arg)); break;
	case OPT_CHOICE: store(field, o->size, choice(o, arg)); break;
	case OPT_STRING: memcpy(field, &arg, sizeof(arg)); break;
	case OPT_LIST: append(o, field, arg); break;
	case OPT_GROUP: break;
	}
	g->set[o - opts] = true;
}

static bool given(const struct given *g, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].name && !strcmp(opts[i].name, name))
			return g->set[i];
	return false;
}

/* "these run on any filesystem: a, b" */
static const char *other_fs_scenarios(void)
{
	static char buf[256];
	const char *sep = " ";
	size_t n = (size_t)snprintf(buf, sizeof(buf),
				    "these run on any filesystem:");

	for (int i = 0; i < SCENARIO_N && n < sizeof(buf); i++) {
		if (scenarios[i].lagfs.hold != LAGFS_NO_HOLD ||
		    !engines[scenarios[i].engine]->signals_ready)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", sep,
				      scenario_names[i]);
		sep = ", ";
	}
	return buf;
}

/* What no scenario and no option sets. */
static void defaults(struct race_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->scenario = SCENARIO_ASYNC_DIO;
	c->iterations = 20;
	c->jobs = 1;
	c->hold_ns = 0;
	c->limit_ns = 5000 * MS;
	c->reap_wait_ns = 100 * MS;
	c->retry_max = 100; /* 1 ms apart */
	c->seed = 1;
}

/* --fs tmpfs, --fs-dir: only lagrace's own mounts, and only children
 * that need nothing of lagfs. */
static void check_other_fs(const struct race_cfg *c)
{
	const char *fs = c->fs == FS_DIR ? "--fs-dir" : "--fs tmpfs";

	if (engines[c->engine]->opaque)
		die_usage("%s: the family's scenarios only (%s), not -- CMD",
			  fs, other_fs_scenarios());
	if (c->lagfs.hold != LAGFS_NO_HOLD)
		die_usage("%s: scenario '%s' needs lagfs's holds (%s)", fs,
			  scenario_names[c->scenario], other_fs_scenarios());
	if (!engines[c->engine]->signals_ready)
		die_usage("%s: engine '%s' needs lagfs's events to know when "
			  "to kill (%s)", fs, engine_names[c->engine],
			  other_fs_scenarios());
	if (c->mount_dir || c->fusermount)
		die_usage("%s: excludes --%s", fs, c->mount_dir ? "mount"
			  : "fusermount");
	if (c->trace == TRACE_ON)
		die_usage("%s: --trace records FUSE requests, and there are "
			  "none", fs);
	/* Both wait for lagfs's RELEASE events, which never come here. */
	if (c->mitigate == MIT_WAIT_RELEASE || c->mitigate == MIT_LAZY)
		die_usage("%s: --mitigate %s waits for lagfs's release events "
			  "(none or retry)", fs, mitigation_names[c->mitigate]);
}

/* The options that cannot go together. */
static void check(const struct race_cfg *c)
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
	if (c->eo.close_in_flight && !engines[c->engine]->closes_in_flight)
		die_usage("--close-in-flight: engine '%s' cannot close its "
			  "files with IO in flight (uring can)",
			  engine_names[c->engine]);
	if (c->eo.sqpoll && !engines[c->engine]->takes_sqpoll)
		die_usage("--sqpoll: engine '%s' has no io_uring",
			  engine_names[c->engine]);
	if (c->eo.close_in_flight && c->lagfs.hold == LAGFS_NO_HOLD)
		die_usage("--close-in-flight needs IO that lagfs holds "
			  "(not --scenario %s)", scenario_names[c->scenario]);
	if (c->fs != FS_LAGFS)
		check_other_fs(c);
	if (c->expect != EXPECT_NONE && c->bisect)
		die_usage("--%s and --expect exclude each other",
			  c->bisect_fix ? "bisect-fix" : "bisect");
	/* TAP judges each iteration; a fix's bisect asks whether any hit. */
	if (c->bisect_fix && c->tap)
		die_usage("--bisect-fix and --tap exclude each other");
	if (c->tap && c->json_path && !strcmp(c->json_path, "-"))
		die_usage("--json - and --tap both want standard output");
}

/* --fs-dir DIR: a directory, and not with --fs. */
static void take_fs_dir(struct race_cfg *c, bool fs_given)
{
	struct stat st;

	if (fs_given)
		die_usage("--fs and --fs-dir exclude each other");
	if (stat(c->fs_dir, &st) < 0)
		die_usage("--fs-dir %s: %s", c->fs_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die_usage("--fs-dir %s: %s", c->fs_dir, strerror(ENOTDIR));
	c->fs = FS_DIR;
	/* The lanes bind-mount below it, wherever they are. */
	c->fs_dir = realpath(c->fs_dir, NULL);
	if (!c->fs_dir)
		die("--fs-dir: %s", strerror(errno));
}

/* --explain tells one iteration: say what it overrides. */
static void explain_one(struct race_cfg *c, bool iters, bool jobs)
{
	iters = iters && c->iterations != 1;
	jobs = jobs && c->jobs != 1;
	if (iters || jobs)
		fprintf(stderr, "lagrace: --explain tells one iteration in one "
			"lane: %s%s%s ignored\n", iters ? "--iterations" : "",
			iters && jobs ? " and " : "", jobs ? "--jobs" : "");
	c->iterations = c->jobs = 1;
}

/*
 * --jobs auto. An iteration spends most of its time waiting for the
 * kernel (the busy window, ~13 ms here, is its deferred fput) and about
 * 1.5-2 ms of CPU, lagrace's and lagfs's, so a CPU needs about 8 lanes
 * in flight to stay busy. Measured on 2 CPUs (issue 17) the rate still
 * rose from 16 lanes to 24 (637 to 762 per second): 12 lanes per CPU
 * this process may run on.
 */
#define AUTO_LANES_PER_CPU 12u

static unsigned auto_jobs(void)
{
	cpu_set_t set;
	unsigned cpus = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = (unsigned)CPU_COUNT(&set);
	if (!cpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cpus = n > 0 ? (unsigned)n : 1;
	}
	return cpus * AUTO_LANES_PER_CPU < 64 ? cpus * AUTO_LANES_PER_CPU : 64;
}

/* lagrace's defaults, the scenario's data, then each option given, field
 * by field, and the lagfs rules that asks for. */
void options_parse(int argc, char **argv, struct race_cfg *c)
{
	static struct given g;
	int end = workload_split(argc, argv);

	memset(&g, 0, sizeof(g));
	options_scan(end, argv, 0, "lagrace", take, &g);
	defaults(c);
	if (given(&g, "scenario"))
		c->scenario = g.cfg.scenario;
	scenario_apply(c);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (g.set[i])
			memcpy((char *)c + opts[i].off,
			       (char *)&g.cfg + opts[i].off, opts[i].size);
	scenario_lagfs_rules(c);
	workload_cfg(c, end < argc ? argv + end + 1 : NULL,
		     given(&g, "scenario"));
	if (c->fs_dir)
		take_fs_dir(c, given(&g, "fs"));
	if (!c->jobs)
		c->jobs = c->mount_dir ? 1 : auto_jobs();
	/* --bisect-fix is --bisect with the meaning of a hit turned round:
	 * 125 for a run that could not run stays as it is. */
	if (c->bisect_fix)
		c->bisect = true;
	check(c);
	workload_check_mount(c);
	if (c->explain)
		explain_one(c, given(&g, "iterations"), given(&g, "jobs"));
}

void options_check_lagfs(const char *path)
{
	if (access(path, X_OK) < 0)
		die_usage("--lagfs %s: %s", path, strerror(errno));
}

/* ---- help ------------------------------------------------------------- */

/* "ARG" of o in --help: a choice's names, a|b|c. */
static const char *arg_of(const struct race_opt *o, char *buf, size_t cap)
{
	if (o->kind != OPT_CHOICE)
		return o->arg;
	name_join(o->names, o->n_names, "|", "|", buf, cap);
	/* Too many to fit a line: --help lists them below. */
	return strlen(buf) > 40 ? "NAME" : buf;
}

void options_synopsis(FILE *to, const char *head, unsigned need)
{
	size_t col = strlen(head), indent = col + 1;
	char item[128], arg[128];

	fputs(head, to);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct race_opt *o = &opts[i];
		size_t len;

		if (!wanted(o, need) || o->kind == OPT_HELP)
			continue;
		len = (size_t)snprintf(item, sizeof(item), "[--%s%s%s]",
				       o->name, o->arg ? " " : "",
				       o->arg ? arg_of(o, arg, sizeof(arg)) : "");
		if (col + 1 + len > NARRATE_WIDTH) {
			fprintf(to, "\n%*s", (int)indent - 1, "");
			col = indent - 1;
		}
		fprintf(to, " %s", item);
		col += 1 + len;
	}
	fputc('\n', to);
}

/* "  --name ARG", and its help from HELP_COL on (the next line if the
 * option is too long), wrapped to 80 columns. */
static void option_help(FILE *to, const struct race_opt *o)
{
	char left[128], arg[128], indent[HELP_COL + 1];
	const char *a = takes_arg(o) ? arg_of(o, arg, sizeof(arg)) : NULL;
	int len;

	memset(indent, ' ', HELP_COL);
	indent[HELP_COL] = '\0';
	len = snprintf(left, sizeof(left), "  --%s%s%s", o->name,
		       a ? " " : "", a ? a : "");
	if (len < HELP_COL) {
		snprintf(left + len, sizeof(left) - (size_t)len, "%*s",
			 HELP_COL - len, "");
		narrate_wrap(to, left, indent, o->help);
		return;
	}
	fprintf(to, "%s\n", left);
	narrate_wrap(to, indent, indent, o->help);
}

/* "  name       help", wrapped under the help. */
static void name_help(FILE *to, const char *name, const char *help)
{
	char head[32];

	snprintf(head, sizeof(head), "  %-10s ", name);
	narrate_wrap(to, head, "             ", help);
}

static void usage_subcommands(FILE *to)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		const struct subcommand *s = &subcommands[i];
		char head[64];

		snprintf(head, sizeof(head), "       lagrace %s", s->name);
		if (s->opt_flags)
			options_synopsis(to, head, s->opt_flags);
		else
			fprintf(to, "%s%s%s\n", head, *s->args ? " " : "",
				s->args);
	}
}

void options_usage(FILE *to)
{
	fprintf(to, "usage: lagrace [OPTION]... [-- CMD [ARG]...]\n");
	usage_subcommands(to);
	fputc('\n', to);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		if (opts[i].kind == OPT_GROUP)
			fprintf(to, "%s\n", opts[i].help);
		else
			option_help(to, &opts[i]);
	}
	fprintf(to, "\nSub-commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		name_help(to, subcommands[i].name, subcommands[i].help);
	fprintf(to, "\nScenarios:\n");
	for (int i = 0; i < SCENARIO_N; i++)
		name_help(to, scenario_names[i], scenarios[i].summary);
	fprintf(to, "Engines:\n");
	for (int i = 0; i < ENGINE_N; i++)
		name_help(to, engine_names[i], engines[i]->help);
	fprintf(to,
"An iteration reproduces when lagfs saw a late release of the child's file\n"
"and the first unmount failed with EBUSY.\n"
"Exit status: 0 when --expect is met (race: every iteration reproduced;\n"
"clean: none showed a late release or EBUSY), 1 otherwise, 2 on usage\n"
"errors (also an unwritable --json or --svg); --bisect: 0 none reproduced,\n"
"1 one did, 125 could not run (for git bisect run); --bisect-fix: 0 one\n"
"reproduced, 1 none did (git bisect start --term-old=broken --term-new=fixed).\n");
}
