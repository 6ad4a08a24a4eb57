/*
 * lagrace: make the late-release race happen on lagfs, prove each hit from
 * lagfs's events, and report. See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "report_err.h"
#include "explain_cmd.h"
#include "lag_event.h"
#include "lane.h"
#include "matrix.h"
#include "options.h"
#include "outpath.h"
#include "report.h"
#include "runinfo.h"
#include "svg.h"

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
		if (!executable(given)) {
			fprintf(stderr, "lagrace: --lagfs %s: %s\n", given,
				strerror(errno));
			exit(2);
		}
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

int main(int argc, char **argv)
{
	struct race_cfg cfg;
	struct runinfo ri;
	struct report rp = { .cfg = &cfg, .ri = &ri };
	struct summary s;
	FILE *text = stdout, *story = stdout;
	struct sigaction sa = { .sa_handler = on_signal };
	struct workdir wd;
	char err[PATH_MAX + 64];
	pid_t lanes[64] = { 0 }, self = getpid();
	bool stopping = false;
	int pfd[2];

	set_prog_name("lagrace");
	if (argc > 1 && !strcmp(argv[1], "matrix"))
		return matrix_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "explain"))
		return explain_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "cleanup"))
		return cleanup_main(argc - 1, argv + 1);
	options_parse(argc, argv, &cfg);
	check_outputs(&cfg);
	/* --json -: standard output is the document's alone */
	if (cfg.json_path && !strcmp(cfg.json_path, "-"))
		text = story = stderr;
	else if (cfg.tap)
		story = stderr; /* TAP stays TAP */
	if (!cfg.mount_dir)
		cfg.lagfs_bin = find_lagfs(cfg.lagfs_bin);
	if (workdir_create(&wd, err, sizeof(err)) < 0) {
		fprintf(stderr, "lagrace: %s\n", err);
		return cfg.bisect ? 125 : 1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("lagrace: pipe");
		workdir_leave(&wd, err, sizeof(err));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	runinfo_init(&ri, &cfg, argc, argv);
	runinfo_find_hz(&ri);
	report_begin(&rp, text);
	rp.t_begin = lag_now_ns();
	for (unsigned i = 0; i < cfg.jobs; i++) {
		lanes[i] = fork();
		if (lanes[i] == 0) {
			close(pfd[0]);
			_exit(lane_main(&cfg, i, pfd[1], &wd, self));
		}
		if (lanes[i] < 0) {
			perror("lagrace: fork");
			stop_lanes(lanes, i);
			break;
		}
	}
	close(pfd[1]);
	for (;;) {
		struct iter_result r;
		ssize_t n = read(pfd[0], &r, sizeof(r));

		if (interrupted && !stopping) {
			stopping = true;
			rp.stop_signal = interrupted;
			stop_lanes(lanes, cfg.jobs);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(r))
			break;
		report_add(&rp, &r, text, story);
	}
	for (unsigned i = 0; i < cfg.jobs; i++)
		if (lanes[i] > 0)
			while (waitpid(lanes[i], NULL, 0) < 0 && errno == EINTR)
				;
	rp.t_end = lag_now_ns();
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			rp.main_cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
					 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	}
	if (workdir_leave(&wd, err, sizeof(err)) < 0)
		fprintf(stderr, "lagrace: left %s behind (lagrace cleanup "
			"removes it): %s\n", wd.path, err);
	report_summarize(&rp, &s);
	report_print_summary(&rp, &s, stopping, text);
	if (cfg.json_path && report_write_json(&rp, &s, cfg.json_path) < 0) {
		report_bail_out(&rp, "--json could not be written", text);
		return cfg.bisect ? 125 : 1;
	}
	if (cfg.svg_path && svg_write(cfg.svg_path, &rp, &s) < 0) {
		report_bail_out(&rp, "--svg could not be written", text);
		return cfg.bisect ? 125 : 1;
	}
	free(rp.results);
	return exit_status(&cfg, &s, stopping);
}
