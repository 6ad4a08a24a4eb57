#include "runinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "lag_event.h"
#include "scenario.h"
#include "version.h"

extern char **environ;

void runinfo_init(struct runinfo *ri, const struct race_cfg *cfg, int argc,
		  char **argv)
{
	struct utsname u;
	struct timespec now;
	struct tm tm;

	memset(ri, 0, sizeof(*ri));
	snprintf(ri->version, sizeof(ri->version), "%s", LAG_VERSION);
	snprintf(ri->kernel, sizeof(ri->kernel), "%s",
		 uname(&u) == 0 ? u.release : "unknown");
	snprintf(ri->hz_source, sizeof(ri->hz_source), "not looked up");
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    gmtime_r(&now.tv_sec, &tm))
		strftime(ri->started, sizeof(ri->started), "%Y-%m-%dT%H:%M:%SZ",
			 &tm);
	ri->argc = argc;
	ri->argv = argv;
	for (int i = 0; i < RACE_MAX_RULES && cfg->rules[i]; i++)
		ri->rules[i] = cfg->rules[i];
	ri->fuse_opts = cfg->lagfs.options;
	ri->scenario = scenario_name(cfg);
	ri->engine = engine_names[cfg->engine];
	ri->mitigate = cfg->mitigate;
	ri->fusermount = cfg->fusermount;
	ri->seed = cfg->seed;
	ri->iterations = cfg->iterations;
	ri->jobs = cfg->jobs;
}

int runinfo_hz_from_config(const char *text)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		int hz;

		if (!strncmp(p, "CONFIG_HZ=", 10) && sscanf(p + 10, "%d", &hz) == 1 &&
		    hz > 0)
			return hz;
	}
	return 0;
}

int runinfo_hz_nearest(double measured)
{
	static const int known[] = { 100, 250, 300, 1000 };

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (measured >= known[i] * 0.9 && measured <= known[i] * 1.1)
			return known[i];
	return 0;
}

/* All of fd into a malloc'd string (at most cap bytes), or NULL. */
static char *slurp(int fd, size_t cap)
{
	char *buf = malloc(cap + 1);
	size_t n = 0;
	ssize_t r;

	if (!buf)
		return NULL;
	while (n < cap && ((r = read(fd, buf + n, cap - n)) > 0 ||
			   (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* /proc/config.gz through gzip -dc (no zlib to link). */
static int hz_from_config_gz(void)
{
	const char *argv[] = { "gzip", "-dc", "/proc/config.gz", NULL };
	posix_spawn_file_actions_t fa;
	int pfd[2], hz = 0, st;
	char *text;
	pid_t pid;

	if (access("/proc/config.gz", R_OK) < 0 || pipe2(pfd, O_CLOEXEC) < 0)
		return 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "gzip", &fa, NULL, (char *const *)argv,
			 environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (pid > 0) {
		text = slurp(pfd[0], 1 << 22);
		hz = runinfo_hz_from_config(text);
		free(text);
	}
	close(pfd[0]);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	return hz;
}

static int hz_from_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), hz;
	char *text;

	if (fd < 0)
		return 0;
	text = slurp(fd, 1 << 22);
	close(fd);
	hz = runinfo_hz_from_config(text);
	free(text);
	return hz;
}

/* The first "jiffies: N" line of /proc/timer_list (after the first CPU's
 * timers, which can be many), with the time the file was opened. */
static int read_jiffies(unsigned long long *j, uint64_t *t)
{
	int fd = open("/proc/timer_list", O_RDONLY | O_CLOEXEC), r;
	char *text, *p;

	if (fd < 0)
		return -1;
	*t = lag_now_ns();
	text = slurp(fd, 1 << 24);
	close(fd);
	p = text ? strstr(text, "\njiffies: ") : NULL;
	r = p && sscanf(p + 10, "%llu", j) == 1 ? 0 : -1;
	free(text);
	return r;
}

/* Jiffies counted over 100 ms: a measurement interval, not a wait for an
 * event. */
static int hz_measured(void)
{
	unsigned long long j0, j1;
	uint64_t t0, t1;
	struct timespec d = { .tv_nsec = 100 * 1000 * 1000 };

	if (read_jiffies(&j0, &t0) < 0)
		return 0;
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
	if (read_jiffies(&j1, &t1) < 0 || t1 <= t0)
		return 0;
	return runinfo_hz_nearest((double)(j1 - j0) * 1e9 / (double)(t1 - t0));
}

void runinfo_find_hz(struct runinfo *ri)
{
	char boot[256];

	if ((ri->hz = hz_from_config_gz())) {
		snprintf(ri->hz_source, sizeof(ri->hz_source),
			 "CONFIG_HZ in /proc/config.gz");
		return;
	}
	snprintf(boot, sizeof(boot), "/boot/config-%s", ri->kernel);
	if ((ri->hz = hz_from_file(boot))) {
		snprintf(ri->hz_source, sizeof(ri->hz_source),
			 "CONFIG_HZ in /boot/config-RELEASE");
		return;
	}
	if ((ri->hz = hz_measured())) {
		snprintf(ri->hz_source, sizeof(ri->hz_source),
			 "measured: /proc/timer_list jiffies");
		return;
	}
	snprintf(ri->hz_source, sizeof(ri->hz_source),
		 "unknown: no kernel config, no /proc/timer_list");
}

static bool path_opt(const char *a)
{
	static const char *const opts[] = { "--json", "--svg", "--lagfs",
					    "--mount", "--log", "--control" };

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

/* One word, quoted for a shell when it has to be. */
static void add_word(char *buf, size_t cap, size_t *len, const char *w)
{
	bool plain = *w && !w[strspn(w, "abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789-_=.,/:+@%")];

	*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0,
				 *len ? " " : "");
	if (plain) {
		*len += (size_t)snprintf(buf + *len,
					 *len < cap ? cap - *len : 0, "%s", w);
		return;
	}
	*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "'");
	for (; *w; w++)
		*len += (size_t)snprintf(buf + *len,
					 *len < cap ? cap - *len : 0,
					 *w == '\'' ? "'\\''" : "%c", *w);
	*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "'");
}

void runinfo_command(const struct runinfo *ri, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < ri->argc; i++) {
		const char *a = ri->argv[i], *eq = strchr(a, '=');
		char tmp[512];

		if (i == 0) {
			add_word(buf, cap, &len, base(a));
		} else if (i > 1 && path_opt(ri->argv[i - 1])) {
			add_word(buf, cap, &len, base(a));
		} else if (eq && !strncmp(a, "--", 2) &&
			   snprintf(tmp, sizeof(tmp), "%.*s", (int)(eq - a), a) &&
			   path_opt(tmp)) {
			snprintf(tmp, sizeof(tmp), "%.*s=%s", (int)(eq - a), a,
				 base(eq + 1));
			add_word(buf, cap, &len, tmp);
		} else {
			add_word(buf, cap, &len, a);
		}
	}
}
