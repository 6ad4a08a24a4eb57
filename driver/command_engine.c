/*
 * command engine: the user's program (lagrace [options] -- CMD [ARG...]) is
 * the workload. run() is the init of the workload's PID namespace (or the
 * leader of its process group): it starts CMD with its working directory
 * at the mountpoint, {mnt} in its arguments replaced by the mountpoint and
 * LAGRACE_MNT and LAGRACE_ITERATION in its environment, its standard
 * output on lagrace's standard error (lagrace's own is the report's, TAP's
 * or --json -'s) and its input /dev/null, reaps whatever is
 * orphaned to it, and exits with CMD's status once CMD exits (128 + the
 * signal if a signal ended it), which ends the namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

#define MNT_WORD "{mnt}"

/* arg with every {mnt} replaced by mnt; malloc'd, NULL without memory. */
static char *substitute(const char *arg, const char *mnt)
{
	size_t n = 0, len;
	const char *p;
	char *out, *q;

	for (p = arg; (p = strstr(p, MNT_WORD)); p += strlen(MNT_WORD))
		n++;
	len = strlen(arg) + n * strlen(mnt) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	for (q = out; *arg;) {
		if (!strncmp(arg, MNT_WORD, strlen(MNT_WORD))) {
			q = stpcpy(q, mnt);
			arg += strlen(MNT_WORD);
		} else {
			*q++ = *arg++;
		}
	}
	*q = '\0';
	return out;
}

static void exec_cmd(const struct engine_opts *o)
{
	size_t n = 0;
	char **argv, it[16];

	while (o->argv[n])
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv && i < n; i++)
		if (!(argv[i] = substitute(o->argv[i], o->dir)))
			argv = NULL;
	snprintf(it, sizeof(it), "%u", o->iteration);
	if (!argv || setenv("LAGRACE_MNT", o->dir, 1) < 0 ||
	    setenv("LAGRACE_ITERATION", it, 1) < 0) {
		fprintf(stderr, "lagrace: command engine: %s\n",
			strerror(ENOMEM));
		_exit(127);
	}
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		fprintf(stderr, "lagrace: command engine: /dev/null: %s\n",
			strerror(errno));
		_exit(127);
	}
	if (chdir(o->dir) < 0) {
		fprintf(stderr, "lagrace: command engine: cd %s: %s\n", o->dir,
			strerror(errno));
		_exit(127);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "lagrace: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int command_run(const struct engine_opts *o)
{
	pid_t cmd = fork(), w;
	int st;

	if (cmd < 0) {
		fprintf(stderr, "lagrace: command engine: fork: %s\n",
			strerror(errno));
		return 127;
	}
	if (cmd == 0)
		exec_cmd(o);
	/* As a namespace's init, orphans come to us: reap them too. */
	while ((w = wait(&st)) != cmd)
		if (w < 0 && errno != EINTR)
			return 127;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

const struct engine_ops engine_command = {
	.help = "the program after -- (lagrace [options] -- CMD [ARG...])",
	.run = command_run,
	.opaque = true,
};
