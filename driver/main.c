/*
 * lagrace: make the late-release race happen on lagfs, prove each hit from
 * lagfs's events, and report. See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_err.h"
#include "lag_event.h"
#include "lane.h"
#include "options.h"
#include "outpath.h"
#include "report.h"
#include "runinfo.h"
#include "svg.h"
#include "trace_session.h"
#include "tracefs.h"

static volatile sig_atomic_t interrupted;   /* the signal that stops us */

static void on_signal(int sig)
{
	interrupted = sig;
}

/* --json and --svg must be writable before anything runs. */
static void check_outputs(const struct race_cfg *c)
{
	const char *opt[] = { "--json", "--svg" };
	const char *path[] = { c->json_path, c->svg_path };
	char err[128];

	for (int i = 0; i < 2; i++) {
		if (!path[i] || (i == 0 && !strcmp(path[i], "-")))
			continue;
		if (outpath_check(path[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "lagrace: %s %s: %s\n", opt[i], path[i],
				err);
			exit(2);
		}
	}
}

static bool executable(const char *p)
{
	return p && access(p, X_OK) == 0;
}

/* --lagfs, $LAGFS, next to our own binary, then $PATH. */
static const char *find_lagfs(const char *given)
{
	static char path[PATH_MAX];
	const char *env = getenv("LAGFS"), *p;
	ssize_t n;

	if (given) {
		options_check_lagfs(given);
		return given;
	}
	if (executable(env))
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 8);
	if (n > 0) {
		path[n] = '\0';
		p = strrchr(path, '/');
		if (p) {
			strcpy(path + (p - path) + 1, "lagfs");
			if (executable(path))
				return path;
		}
	}
	for (const char *dirs = getenv("PATH"); dirs && *dirs;) {
		size_t len = strcspn(dirs, ":");

		snprintf(path, sizeof(path), "%.*s/lagfs", (int)len, dirs);
		if (executable(path))
			return path;
		dirs += len + (dirs[len] == ':');
	}
	fprintf(stderr, "lagrace: lagfs not found (next to lagrace, in $PATH "
			"or $LAGFS); build it with make or pass --lagfs PATH\n");
	exit(2);
}

static void stop_lanes(pid_t *lanes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (lanes[i] > 0)
			kill(lanes[i], SIGTERM);
}

static int exit_status(const struct race_cfg *c, const struct summary *s,
		       bool stopped)
{
	bool ran = s->iterations > s->errors;

	if (c->bisect && !ran)
		return 125;
	/* --bisect-fix: a hit is the old behaviour, git bisect's "old" */
	if (c->bisect)
		return (s->hits ? 1 : 0) ^ c->bisect_fix;
	if (stopped)
		return 1;
	/* hits: iterations that reproduce (verdict_hit) */
	if (c->expect == EXPECT_RACE)
		return s->hits == c->iterations && !s->errors ? 0 : 1;
	if (c->expect == EXPECT_CLEAN)
		return s->clean == c->iterations && !s->errors ? 0 : 1;
	return s->errors ? 1 : 0;
}

/* One run: its configuration, its lanes and where their results go. */
struct run {
	struct race_cfg cfg;
	struct runinfo ri;
	struct report rp;
	struct workdir wd;
	FILE *text, *story;
	pid_t lanes[64];
	bool stopping;                 /* a signal stopped the lanes */
	struct trace_session trace;    /* --trace */
};

/* Fork cfg.jobs lanes, each writing its results to wfd; after a failed
 * fork, those already running are stopped. */
static void start_lanes(struct run *run, int rfd, int wfd)
{
	pid_t self = getpid();

	for (unsigned i = 0; i < run->cfg.jobs; i++) {
		run->lanes[i] = fork();
		if (run->lanes[i] == 0) {
			close(rfd);
			trace_session_forget(&run->trace);
			_exit(lane_main(&run->cfg, i, wfd, &run->wd, self));
		}
		if (run->lanes[i] < 0) {
			perror("lagrace: fork");
			stop_lanes(run->lanes, i);
			break;
		}
	}
	close(wfd);
}

/* Whether a result (or the end) is there to read; meanwhile the kernel's
 * trace is read as it comes, so that its buffer never fills. */
static bool result_ready(struct run *run, int rfd)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };

	if (run->trace.source == KT_SRC_NONE)
		return true;
	if (poll(&p, 1, 100) == 1)
		return true;
	trace_session_drain(&run->trace);
	return false;
}

/* Report each result as it comes, until every lane has closed the pipe;
 * a signal stops the lanes, and what they have done is reported. */
static void collect(struct run *run, int rfd)
{
	static struct iter_result r;   /* large: not on the stack */

	for (;;) {
		ssize_t n = result_ready(run, rfd) ?
			    read(rfd, &r, LANE_RESULT_SIZE) : -1;

		if (interrupted && !run->stopping) {
			run->stopping = true;
			run->rp.stop_signal = interrupted;
			stop_lanes(run->lanes, run->cfg.jobs);
		}
		if (n < 0)
			continue; /* EINTR, or nothing yet */
		if (n != (ssize_t)LANE_RESULT_SIZE)
			break;
		trace_session_join(&run->trace, &r);
		report_add(&run->rp, &r, run->text, run->story);
	}
	for (unsigned i = 0; i < run->cfg.jobs; i++)
		if (run->lanes[i] > 0)
			while (waitpid(run->lanes[i], NULL, 0) < 0 &&
			       errno == EINTR)
				;
}

static uint64_t cpu_us_self(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The summary and the files asked for: the exit status. */
static int finish(struct run *run)
{
	const struct race_cfg *c = &run->cfg;
	struct report *rp = &run->rp;
	struct summary s;

	report_summarize(rp, &s);
	report_print_summary(rp, &s, run->stopping, run->text);
	if (c->json_path && report_write_json(rp, &s, c->json_path) < 0) {
		report_bail_out(rp, "--json could not be written", run->text);
		return c->bisect ? 125 : 1;
	}
	if (c->svg_path && svg_write(c->svg_path, rp, &s) < 0) {
		report_bail_out(rp, "--svg could not be written", run->text);
		return c->bisect ? 125 : 1;
	}
	free(rp->results);
	return exit_status(c, &s, run->stopping);
}

/*
 * --trace: on when it can be (auto), else off with one line saying why;
 * --trace that cannot be is a usage error. The lanes then note each
 * mount's FUSE connection.
 */
static void start_trace(struct run *run)
{
	struct race_cfg *c = &run->cfg;
	struct trace_session *t = &run->trace;

	t->source = KT_SRC_NONE;
	t->root = t->inst = t->pipe = -1;
	if (c->fs != FS_LAGFS) {
		snprintf(run->ri.trace, sizeof(run->ri.trace), "off: no FUSE "
			 "requests on %s", c->fs == FS_DIR ? "--fs-dir" : "tmpfs");
		return;
	}
	if (c->trace == TRACE_OFF) {
		snprintf(run->ri.trace, sizeof(run->ri.trace), "off (--no-trace)");
		return;
	}
	if (trace_session_start(t, c, lag_now_ns()) < 0) {
		if (c->trace == TRACE_ON)
			die_usage("--trace: not possible: %s", t->why);
		fprintf(stderr, "lagrace: not traced: %s\n", t->why);
		snprintf(run->ri.trace, sizeof(run->ri.trace), "off: %s", t->why);
		return;
	}
	c->traced = true;
	snprintf(run->ri.trace_source, sizeof(run->ri.trace_source), "%s",
		 ktrace_source_names[t->source]);
	snprintf(run->ri.trace, sizeof(run->ri.trace), "%s, tracefs instance "
		 TRACEFS_INSTANCE_FMT, t->what, t->pid);
}

/* Everything that must be right before a lane starts. */
static void prepare(struct run *run)
{
	struct race_cfg *c = &run->cfg;

	check_outputs(c);
	run->text = run->story = stdout;
	/* --json -: standard output is the document's alone */
	if (c->json_path && !strcmp(c->json_path, "-"))
		run->text = run->story = stderr;
	else if (c->tap)
		run->story = stderr; /* TAP stays TAP */
	if (!c->mount_dir)
		c->lagfs_bin = find_lagfs(c->lagfs_bin);
	run->rp = (struct report){ .cfg = c, .ri = &run->ri };
}

int main(int argc, char **argv)
{
	static struct run run;
	const struct subcommand *sub;
	struct sigaction sa = { .sa_handler = on_signal };
	char err[PATH_MAX + 64];
	int pfd[2];

	set_prog_name("lagrace");
	if (argc > 1 && (sub = subcommand_find(argv[1])))
		return sub->main(argc - 1, argv + 1);
	options_parse(argc, argv, &run.cfg);
	prepare(&run);
	/* From here on a signal ends the run in order: the trace's instance
	 * is removed, whatever stops us. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	runinfo_init(&run.ri, &run.cfg, argc, argv);
	start_trace(&run);
	if (workdir_create(&run.wd, err, sizeof(err)) < 0) {
		fprintf(stderr, "lagrace: %s\n", err);
		trace_session_stop(&run.trace);
		return run.cfg.bisect ? 125 : 1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("lagrace: pipe");
		trace_session_stop(&run.trace);
		workdir_leave(&run.wd, err, sizeof(err));
		return 1;
	}
	runinfo_find_hz(&run.ri);
	report_begin(&run.rp, run.text);
	run.rp.t_begin = lag_now_ns();
	start_lanes(&run, pfd[0], pfd[1]);
	collect(&run, pfd[0]);
	run.rp.t_end = lag_now_ns();
	trace_session_stop(&run.trace);
	run.rp.main_cpu_us = cpu_us_self();
	if (workdir_leave(&run.wd, err, sizeof(err)) < 0)
		fprintf(stderr, "lagrace: left %s behind (lagrace cleanup "
			"removes it): %s\n", run.wd.path, err);
	return finish(&run);
}
