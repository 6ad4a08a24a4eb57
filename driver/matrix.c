#include "matrix.h"

#include <errno.h>
#include <json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "options.h"
#include "report_err.h"
#include "runinfo.h"
#include "trace_session.h"

#define MAX_EXTRA 16

static volatile sig_atomic_t stopping;
static volatile pid_t running;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	if (running > 0)
		kill(running, SIGTERM);
}

static void usage(FILE *to)
{
	options_synopsis(to, "usage: lagrace matrix", OPT_MATRIX);
	fprintf(to,
"Runs every engine and cache/punt combination, N iterations each (default\n"
"10), with the options given, and prints the hit-rate table, each row with\n"
"the lagrace command that reproduces it.\n");
}

struct row {
	const char *what;
	const char *args[8];
};

static const struct row rows[] = {
	{ "io_uring, O_DIRECT (async DIO)", { "--engine", "uring", "--direct", "--no-async" } },
	{ "io_uring, O_DIRECT, IOSQE_ASYNC", { "--engine", "uring", "--direct", "--async" } },
	{ "io_uring, page cache", { "--engine", "uring", "--buffered", "--no-async", "--no-fuse-direct-io" } },
	{ "io_uring, page cache, IOSQE_ASYNC", { "--engine", "uring", "--buffered", "--async", "--no-fuse-direct-io" } },
	{ "io_uring, direct_io open", { "--engine", "uring", "--buffered", "--no-async", "--fuse-direct-io" } },
	{ "io_uring, direct_io, IOSQE_ASYNC, no async DIO (exit-punt)", { "--scenario", "exit-punt" } },
	{ "exit-punt, the file still open at the kill", { "--scenario", "exit-punt", "--no-close-in-flight" } },
	{ "libaio, O_DIRECT", { "--engine", "aio", "--direct" } },
	{ "libaio, page cache", { "--engine", "aio", "--buffered", "--no-fuse-direct-io" } },
	{ "pread, O_DIRECT", { "--engine", "sync", "--direct" } },
	{ "pread, page cache", { "--engine", "sync", "--buffered", "--no-fuse-direct-io" } },
	{ "pread, direct_io open", { "--engine", "sync", "--buffered", "--fuse-direct-io" } },
	{ "random op mix, random kill (chance)", { "--scenario", "chance" } },
	{ "io_uring registered file, closed (uring-fixed-file)", { "--scenario", "uring-fixed-file" } },
	{ "unix socket cycle, SCM_RIGHTS in flight (scm-rights-cycle)", { "--scenario", "scm-rights-cycle" } },
	{ "io_uring SQPOLL ring, registered file, closed (sqpoll-fixed-file)", { "--scenario", "sqpoll-fixed-file" } },
};

/* matrix's options: --iterations apart, the others for every row. */
struct matrix_args {
	const char *iters;
	const char *extra[MAX_EXTRA + 1];      /* NULL-terminated */
	int n;
	bool trace_given;                      /* --trace or --no-trace */
	const char *no_trace;                  /* "--no-trace" when tracing is
						* not possible here, else NULL:
						* said once, not once a row */
};

static int run_row(const char *self, const struct row *r,
		   const struct matrix_args *m, const char *json)
{
	const char *argv[16 + MAX_EXTRA];
	int n = 0, st;
	pid_t pid, parent;

	argv[n++] = self;
	for (int i = 0; r->args[i]; i++)
		argv[n++] = r->args[i];
	for (int i = 0; m->extra[i]; i++)
		argv[n++] = m->extra[i];
	if (m->no_trace)
		argv[n++] = m->no_trace;
	argv[n++] = "--iterations";
	argv[n++] = m->iters;
	argv[n++] = "--quiet";
	argv[n++] = "--json";
	argv[n++] = json;
	argv[n] = NULL;
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		/* A killed matrix stops its row, which then cleans up. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		/* Only the JSON matters; the run's own summary would clutter. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(self, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	running = pid;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	running = 0;
	return WIFEXITED(st) && WEXITSTATUS(st) <= 1 ? 0 : -1;
}

static double get(json_object *sum, const char *a, const char *b)
{
	json_object *o = NULL, *p = NULL;

	if (!json_object_object_get_ex(sum, a, &o))
		return -1;
	if (b && !json_object_object_get_ex(o, b, &p))
		return -1;
	return json_object_get_double(b ? p : o);
}

/* The row's first error (when every iteration failed, the reason). */
static const char *first_error(json_object *root)
{
	json_object *its, *it, *err;

	if (!json_object_object_get_ex(root, "iterations", &its) ||
	    !(it = json_object_array_get_idx(its, 0)) ||
	    !json_object_object_get_ex(it, "error", &err) || !err)
		return "unknown";
	return json_object_get_string(err);
}

/* The lagrace command that reproduces row r. */
static void row_command(const struct row *r, const char *const *extra,
			char *cmd, size_t cap)
{
	size_t len = (size_t)snprintf(cmd, cap, "lagrace");

	for (int i = 0; r->args[i]; i++)
		len += (size_t)snprintf(cmd + len, cap - len, " %s", r->args[i]);
	for (int i = 0; extra[i] && len < cap; i++)
		len += (size_t)snprintf(cmd + len, cap - len, " %s", extra[i]);
}

/* "not both": the iterations that show one without the other, or no
 * verdict; "-" if none. */
static const char *row_other(json_object *sum, char *buf, size_t cap)
{
	double lo = get(sum, "late_release_only", NULL);
	double eo = get(sum, "ebusy_only", NULL);
	double err = get(sum, "errors", NULL);
	size_t len = 0;

	buf[0] = '\0';
	if (lo > 0)
		len += (size_t)snprintf(buf + len, cap - len,
					"late release, unmount ok %.0f", lo);
	if (eo > 0)
		len += (size_t)snprintf(buf + len, cap - len,
					"%sEBUSY, no late release %.0f",
					len ? "; " : "", eo);
	if (err > 0)
		snprintf(buf + len, cap - len, "%serrors %.0f",
			 len ? "; " : "", err);
	return buf[0] ? buf : "-";
}

/* "released by": who sent the RELEASE, from where, in how many
 * iterations ("a kernel worker via delayed_fput 20"), and in how many
 * there is no record of it (lagfs never got the RELEASE of the file the
 * story follows); "not traced". */
static const char *row_released_by(json_object *sum, char *buf, size_t cap)
{
	json_object *by = NULL;
	double traced = get(sum, "traced", NULL);
	size_t len = 0;
	int seen = 0;

	buf[0] = '\0';
	if (traced <= 0 || !json_object_object_get_ex(sum, "released_by", &by))
		return "not traced";
	json_object_object_foreach(by, what, n) {
		seen += json_object_get_int(n);
		if (len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s %d",
						len ? "; " : "", what,
						json_object_get_int(n));
	}
	if (traced > seen && len < cap)
		snprintf(buf + len, cap - len, "%sno record %.0f",
			 len ? "; " : "", traced - seen);
	return buf;
}

/* " p50 |" of a stat3 in the summary, or " - |" without samples. */
static void print_p50(json_object *sum, const char *key)
{
	if (get(sum, key, "n") > 0)
		printf(" %.1f |", get(sum, key, "p50"));
	else
		printf(" - |");
}

/* Prints the row; 0 if it ran, -1 if it failed. */
static int print_row(const struct row *r, const char *const *extra, int fd)
{
	json_object *root = lseek(fd, 0, SEEK_SET) == 0
			    ? json_object_from_fd(fd) : NULL, *sum = NULL;
	char cmd[512], other[160], by[256];
	double n, err;
	int rc = -1;

	row_command(r, extra, cmd, sizeof(cmd));
	if (!root || !json_object_object_get_ex(root, "summary", &sum)) {
		printf("| %s | failed | | | | | | | `%s` |\n", r->what, cmd);
		goto out;
	}
	n = get(sum, "iterations", NULL);
	err = get(sum, "errors", NULL);
	if (n > 0 && err == n) {
		printf("| %s | failed: %s | | | | | | | `%s` |\n", r->what,
		       first_error(root), cmd);
		goto out;
	}
	printf("| %s | %.0f/%.0f | %.0f/%.0f | %.0f/%.0f | %s |", r->what,
	       get(sum, "reproduced", NULL), n, get(sum, "late_release", NULL),
	       n, get(sum, "ebusy", NULL), n,
	       row_other(sum, other, sizeof(other)));
	print_p50(sum, "busy_window_ms");
	print_p50(sum, "release_lateness_ms");
	printf(" %s | `%s` |\n", row_released_by(sum, by, sizeof(by)), cmd);
	rc = 0;
out:
	fflush(stdout);
	json_object_put(root);
	return rc;
}

static void take(const struct race_opt *o, const char *arg, void *ctx)
{
	static char flags[MAX_EXTRA][24];
	struct matrix_args *m = ctx;

	if (o->kind == OPT_HELP) {
		usage(stdout);
		exit(0);
	}
	if (!strcmp(o->name, "iterations")) {
		m->iters = arg;
		return;
	}
	if (!strcmp(o->name, "trace") || !strcmp(o->name, "no-trace"))
		m->trace_given = true;
	if (m->n + 2 > MAX_EXTRA) {
		fprintf(stderr, "lagrace matrix: too many options\n");
		exit(2);
	}
	snprintf(flags[m->n], sizeof(flags[m->n]), "--%s", o->name);
	m->extra[m->n] = flags[m->n];
	m->n++;
	if (arg)
		m->extra[m->n++] = arg;
}

/* --trace that cannot be is a usage error before any row; without
 * --trace or --no-trace, tracing where possible, and else one line
 * saying why not (and the rows run with --no-trace). */
static void check_trace(struct matrix_args *m, enum trace_mode mode)
{
	enum ktrace_source src;
	char why[200];

	if (mode == TRACE_OFF || trace_session_probe(&src, why,
						     sizeof(why)) == 0)
		return;
	if (mode == TRACE_ON)
		die_usage("--trace: not possible: %s", why);
	if (!m->trace_given) {
		fprintf(stderr, "lagrace matrix: not traced: %s\n", why);
		m->no_trace = "--no-trace";
	}
}

/*
 * Read matrix's options (lagrace's that have OPT_MATRIX) and check them as
 * lagrace itself would: a bad value is one line naming it and exit status
 * 2, before any row runs.
 */
static void parse(int argc, char **argv, struct matrix_args *m)
{
	const char *check[8 + MAX_EXTRA];
	struct race_cfg cfg;
	int c = 0;

	m->iters = "10";
	options_scan(argc, argv, OPT_MATRIX, "lagrace matrix", take, m);
	m->extra[m->n] = NULL;
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->extra[i], "--lagfs"))
			options_check_lagfs(m->extra[i + 1]);
	/* lagrace's own parser names a bad value and exits 2. */
	check[c++] = "lagrace";
	for (int i = 0; i < m->n; i++)
		check[c++] = m->extra[i];
	check[c++] = "--iterations";
	check[c++] = m->iters;
	check[c] = NULL;
	options_parse(c, (char **)check, &cfg);
	check_trace(m, cfg.trace);
}

static const char *hz_of(const struct runinfo *ri)
{
	static char buf[16];

	if (!ri->hz)
		return "unknown";
	snprintf(buf, sizeof(buf), "%d", ri->hz);
	return buf;
}

/* The table's header: the kernel, its HZ, what a row means. */
static void print_header(const char *iters)
{
	struct utsname u;
	struct runinfo ri;

	uname(&u);
	memset(&ri, 0, sizeof(ri));
	snprintf(ri.kernel, sizeof(ri.kernel), "%s", u.release);
	runinfo_find_hz(&ri);
	printf("Kernel %s, HZ %s, %s iterations per row. An iteration "
	       "reproduces when lagfs's events prove a late release of the "
	       "child's file and the first unmount after the reap failed with "
	       "EBUSY; times in ms.\n\n", u.release, hz_of(&ri), iters);
	printf("| child IO | reproduced | late release | EBUSY | not both | busy p50 | release after reap p50 | released by | command |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	fflush(stdout);
}

/* Run every row, each writing its --json to fd, and print it. 0, or 1 if
 * one failed or a signal stopped the table. */
static int run_rows(const char *self, const struct matrix_args *m, int fd)
{
	char json[64];
	int failed = 0;

	snprintf(json, sizeof(json), "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < ARRAY_SIZE(rows) && !stopping; i++) {
		if (ftruncate(fd, 0) < 0) {
			failed = 1;
			break;
		}
		failed |= run_row(self, &rows[i], m, json) < 0;
		if (stopping)
			break; /* the row was cut short: not a row of the table */
		failed |= print_row(&rows[i], m->extra, fd) < 0;
	}
	if (stopping)
		printf("(interrupted: the rows above ran)\n");
	return failed || stopping ? 1 : 0;
}

int matrix_main(int argc, char **argv)
{
	struct matrix_args m = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char self[PATH_MAX];
	ssize_t n;
	int rc, fd;

	parse(argc, argv, &m);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "lagrace: matrix: /proc/self/exe: %s\n",
			strerror(errno));
		return 1;
	}
	self[n] = '\0';
	/* Each row writes its --json into memory we hand it (inherited, so
	 * /proc/self/fd/N is the same file in the row): no file of ours on
	 * disk that a killed matrix could leave behind. */
	fd = memfd_create("lagrace-matrix-row", 0);
	if (fd < 0) {
		fprintf(stderr, "lagrace: matrix: memfd_create: %s\n",
			strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	print_header(m.iters);
	rc = run_rows(self, &m, fd);
	close(fd);
	return rc;
}
