#include "matrix.h"

#include <errno.h>
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runinfo.h"

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
};

static int run_row(const char *self, const struct row *r, const char *iters,
		   const char *json)
{
	const char *argv[24];
	int n = 0, st;
	pid_t pid;

	argv[n++] = self;
	for (int i = 0; r->args[i]; i++)
		argv[n++] = r->args[i];
	argv[n++] = "--iterations";
	argv[n++] = iters;
	argv[n++] = "--quiet";
	argv[n++] = "--json";
	argv[n++] = json;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		/* Only the JSON matters; the run's own summary would clutter. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(self, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
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

static void print_row(const struct row *r, const char *json)
{
	json_object *root = json_object_from_file(json), *sum = NULL;
	char cmd[256] = "lagrace", other[160];
	size_t len = strlen(cmd);
	double n, lo, eo, err;

	for (int i = 0; r->args[i]; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s",
					r->args[i]);
	len = 0;

	if (!root || !json_object_object_get_ex(root, "summary", &sum)) {
		printf("| %s | failed | | | | | | `%s` |\n", r->what, cmd);
		json_object_put(root);
		return;
	}
	n = get(sum, "iterations", NULL);
	printf("| %s | %.0f/%.0f | %.0f/%.0f | %.0f/%.0f |", r->what,
	       get(sum, "reproduced", NULL), n, get(sum, "late_release", NULL),
	       n, get(sum, "ebusy", NULL), n);
	/* the iterations that show one without the other, or no verdict */
	lo = get(sum, "late_release_only", NULL);
	eo = get(sum, "ebusy_only", NULL);
	err = get(sum, "errors", NULL);
	other[0] = '\0';
	if (lo > 0)
		len += (size_t)snprintf(other + len, sizeof(other) - len,
					"late release, unmount ok %.0f", lo);
	if (eo > 0)
		len += (size_t)snprintf(other + len, sizeof(other) - len,
					"%sEBUSY, no late release %.0f",
					len ? "; " : "", eo);
	if (err > 0)
		snprintf(other + len, sizeof(other) - len, "%serrors %.0f",
			 len ? "; " : "", err);
	printf(" %s |", other[0] ? other : "-");
	if (get(sum, "busy_window_ms", "n") > 0)
		printf(" %.1f |", get(sum, "busy_window_ms", "p50"));
	else
		printf(" - |");
	if (get(sum, "release_lateness_ms", "n") > 0)
		printf(" %.1f |", get(sum, "release_lateness_ms", "p50"));
	else
		printf(" - |");
	printf(" `%s` |\n", cmd);
	fflush(stdout);
	json_object_put(root);
}

static const char *hz_of(const struct runinfo *ri)
{
	static char buf[16];

	if (!ri->hz)
		return "unknown";
	snprintf(buf, sizeof(buf), "%d", ri->hz);
	return buf;
}

int matrix_main(int argc, char **argv)
{
	const char *iters = "10";
	char self[PATH_MAX], dir[] = "/tmp/lagrace-matrix.XXXXXX", json[PATH_MAX];
	struct utsname u;
	struct runinfo ri;
	ssize_t n;
	int failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--iterations") &&
	    strspn(argv[2], "0123456789") == strlen(argv[2]) && atoi(argv[2]) > 0) {
		iters = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "lagrace: usage: lagrace matrix [--iterations N]\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || !mkdtemp(dir)) {
		fprintf(stderr, "lagrace: matrix: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	snprintf(json, sizeof(json), "%s/row.json", dir);
	uname(&u);
	memset(&ri, 0, sizeof(ri));
	snprintf(ri.kernel, sizeof(ri.kernel), "%s", u.release);
	runinfo_find_hz(&ri);
	printf("Kernel %s, HZ %s, %s iterations per row. An iteration "
	       "reproduces when lagfs's events prove a late release of the "
	       "child's file and the first unmount after the reap failed with "
	       "EBUSY; times in ms.\n\n", u.release, hz_of(&ri), iters);
	printf("| child IO | reproduced | late release | EBUSY | not both | busy p50 | release after reap p50 | command |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	fflush(stdout);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unlink(json);
		failed |= run_row(self, &rows[i], iters, json) < 0;
		print_row(&rows[i], json);
	}
	unlink(json);
	rmdir(dir);
	return failed ? 1 : 0;
}
