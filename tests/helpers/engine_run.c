/*
 * engine_run ENGINE DIR [direct] [async] [write] [qd=N] [files=N] [bs=N]
 *            [seed=N] [secs=S] [ios=N]
 *
 * Smoke runner for lagrace's IO engines: forks a child that runs ENGINE on
 * DIR (which holds lag-0.lag ... lag-(files-1).lag), lets it run until it
 * has finished ios IOs (default 100; mixed: operations) or for secs seconds
 * (default 1), whichever comes first, SIGKILLs it, reaps it and prints
 *
 *   engine ENGINE: S submitted, C completed, E errors in T s
 *   engine ENGINE: child killed by signal 9
 *
 * (or "child exited with status N" if the engine gave up on its own). Exits
 * 0 only if the child was killed by SIGKILL. The Makefile links helpers with
 * the common objects only, so the driver's engine files are included here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "names.h"
#include "../../driver/engines.c"
#include "../../driver/uring_engine.c"
#include "../../driver/aio_engine.c"
#include "../../driver/sync_engine.c"
#include "../../driver/mixed_engine.c"
#include "../../driver/fixed_file_engine.c"
#include "../../driver/scm_rights_engine.c"
#include "../../driver/command_engine.c"
#include "clock.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: engine_run ENGINE DIR [direct] [async] [write] [qd=N] "
		"[files=N] [bs=N] [seed=N] [secs=S] [ios=N]\n");
	exit(2);
}

/* "name=N": true and *v set if arg is name=, exit on a bad number. */
static bool num_arg(const char *arg, const char *name, unsigned long *v)
{
	size_t len = strlen(name);
	char *end;

	if (strncmp(arg, name, len) || arg[len] != '=')
		return false;
	errno = 0;
	*v = strtoul(arg + len + 1, &end, 0);
	if (errno || end == arg + len + 1 || *end) {
		fprintf(stderr, "engine_run: bad number in %s\n", arg);
		exit(2);
	}
	return true;
}

int main(int argc, char **argv)
{
	struct engine_opts o = { .qd = 1, .nfiles = 1, .bs = 4096, .seed = 1 };
	const struct engine_ops *e;
	int id;
	unsigned long v, ios = 100;
	double secs = 1, start, took;
	int status = 0;
	bool reaped = false;
	pid_t pid;

	if (argc < 3)
		usage();
	id = name_index(engine_names, ENGINE_N, argv[1]);
	if (id < 0 || engines[id]->opaque) {
		fprintf(stderr, "engine_run: unknown engine %s\n", argv[1]);
		return 2;
	}
	e = engines[id];
	o.dir = argv[2];
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "direct"))
			o.direct = true;
		else if (!strcmp(a, "async"))
			o.async = true;
		else if (!strcmp(a, "write"))
			o.write = true;
		else if (num_arg(a, "qd", &v) && v >= 1 && v <= 4096)
			o.qd = (unsigned)v;
		else if (num_arg(a, "files", &v) && v >= 1 && v <= 1024)
			o.nfiles = (unsigned)v;
		else if (num_arg(a, "bs", &v) && v >= 4096 && v % 4096 == 0 &&
			 v <= ENGINE_FILE_SIZE)
			o.bs = v;
		else if (num_arg(a, "seed", &v))
			o.seed = (unsigned)v;
		else if (num_arg(a, "ios", &v))
			ios = v;
		else if (!strncmp(a, "secs=", 5) &&
			 (secs = strtod(a + 5, &end)) > 0 && end > a + 5 && !*end)
			;
		else
			usage();
	}

	engine_stats = mmap(NULL, sizeof(*engine_stats), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (engine_stats == MAP_FAILED) {
		perror("engine_run: mmap");
		return 1;
	}
	fflush(NULL);
	start = (lag_now_ns() / 1e9);
	pid = fork();
	if (pid < 0) {
		perror("engine_run: fork");
		return 1;
	}
	if (pid == 0)
		_exit(e->run(&o));

	/* Poll: enough IO done, out of time, or the child gave up. */
	while ((lag_now_ns() / 1e9) - start < secs &&
	       __atomic_load_n(&engine_stats->completed, __ATOMIC_RELAXED) < ios) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			reaped = true;
			break;
		}
		usleep(1000);
	}
	if (!reaped) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				perror("engine_run: waitpid");
				return 1;
			}
		}
	}
	took = (lag_now_ns() / 1e9) - start;

	printf("engine %s: %lu submitted, %lu completed, %lu errors in %.3f s\n",
	       argv[1], engine_stats->submitted, engine_stats->completed,
	       engine_stats->errors, took);
	if (WIFSIGNALED(status))
		printf("engine %s: child killed by signal %d\n", argv[1],
		       WTERMSIG(status));
	else
		printf("engine %s: child exited with status %d\n", argv[1],
		       WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1;
}
