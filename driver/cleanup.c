#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workdir.h"
#include "mountinfo.h"
#include "report_err.h"
#include "small_file.h"
#include "tracefs.h"

static unsigned left;   /* things of dead runs that could not be removed */

/* One line on stderr, and one more thing left behind. */
#define cannot(...) (left++, error(__VA_ARGS__))

struct deepest {
	const char *dir;
	size_t dlen, best;
	char *mp, *type;
	size_t cap, tcap;
};

static int deeper(const char *point, const char *fstype, void *arg)
{
	struct deepest *d = arg;
	size_t plen = strlen(point);

	if (!strncmp(point, d->dir, d->dlen) &&
	    (point[d->dlen] == '/' || point[d->dlen] == '\0') &&
	    plen > d->best) {
		d->best = plen;
		snprintf(d->mp, d->cap, "%s", point);
		snprintf(d->type, d->tcap, "%s", fstype);
	}
	return 0;
}

/* The deepest mount at or below dir, in our mount namespace: 0, or -1 when
 * there is none. Its type in type. */
static int deepest_mount(const char *dir, char *mp, size_t cap, char *type,
			 size_t tcap)
{
	struct deepest d = { .dir = dir, .dlen = strlen(dir), .mp = mp,
			     .type = type, .cap = cap, .tcap = tcap };

	if (mountinfo_each(deeper, &d) < 0)
		return -1;
	return d.best ? 0 : -1;
}

/* Unmount a dead run's mount: as root directly; as a user through
 * fusermount3, which unmounts the FUSE mounts the user made. Lazily: the
 * run is dead, nobody should still use it, and a dead FUSE connection
 * cannot answer anyway. 0 or -1 with a reason in why. */
static int unmount(const char *mp, char *why, size_t cap)
{
	int st, pfd[2];
	pid_t pid;
	ssize_t n;

	if (geteuid() == 0) {
		if (umount2(mp, MNT_DETACH) == 0)
			return 0;
		snprintf(why, cap, "%s", strerror(errno));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, cap, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		execlp("fusermount3", "fusermount3", "-u", "-z", mp, (char *)NULL);
		fprintf(stderr, "fusermount3: %s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		snprintf(why, cap, "fork: %s", strerror(errno));
		return -1;
	}
	n = read(pfd[0], why, cap - 1);
	close(pfd[0]);
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!*why)
		snprintf(why, cap, "fusermount3 -u -z failed");
	return -1;
}

/* Remove a dead run's directory; claim is its lock (workdir.h). */
static void clean_dir(const char *dir, int claim, long pid)
{
	char mp[PATH_MAX], type[64], why[256], what[PATH_MAX];

	while (deepest_mount(dir, mp, sizeof(mp), type, sizeof(type)) == 0) {
		if (unmount(mp, why, sizeof(why)) < 0) {
			cannot("cannot unmount %s (%s of lagrace %ld, which is "
			       "gone): %s", mp, type, pid, why);
			close(claim);
			return;
		}
		printf("unmounted %s (%s of lagrace %ld, which is gone)\n", mp,
		       type, pid);
	}
	if (workdir_remove_tree(dir, what, sizeof(what)) < 0)
		cannot("cannot remove %s (lagrace %ld is gone): %s: %s", dir,
		       pid, what, strerror(errno));
	else
		printf("removed %s (lagrace %ld is gone)\n", dir, pid);
	close(claim);
}

static void clean_tmpdir(const char *tmp)
{
	size_t plen = strlen(WORKDIR_PREFIX);
	struct dirent *d;
	DIR *dp = opendir(tmp);

	if (!dp) {
		cannot("%s: %s", tmp, strerror(errno));
		return;
	}
	while ((d = readdir(dp))) {
		char path[PATH_MAX];
		struct stat st;
		long pid;
		int fd;

		if (strncmp(d->d_name, WORKDIR_PREFIX, plen))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, d->d_name);
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		/* Other users' runs are theirs to clean up. */
		if (geteuid() != 0 && st.st_uid != geteuid())
			continue;
		fd = workdir_claim_dead(path, &pid);
		if (fd >= 0)
			clean_dir(path, fd, pid);
		else if (!pid)
			cannot("left alone: %s (made by an older lagrace, which "
			       "cannot say whether it still runs; remove it when "
			       "no lagrace runs)", path);
	}
	closedir(dp);
}

/* A tracefs instance "lagrace-PID" belongs to a live run while PID is a
 * process named lagrace (a PID reused by another program is not). */
static bool lagrace_alive(long pid)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	return small_file_read(path, comm, sizeof(comm)) > 0 &&
	       !strcmp(comm, "lagrace\n");
}

/* The PID of "lagrace-PID" (instance) or "lagrace_PID" (kprobe group)
 * at name, of which len bytes; 0 if it is not one. */
static long run_pid(const char *name, size_t len)
{
	char buf[32], *end;
	long pid;

	if (len <= 8 || len >= sizeof(buf) || strncmp(name, "lagrace", 7) ||
	    (name[7] != '-' && name[7] != '_'))
		return 0;
	memcpy(buf, name + 8, len - 8);
	buf[len - 8] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	return errno || *end || end == buf || pid <= 0 ? 0 : pid;
}

static void clean_run_trace(int root, long pid, const char *what)
{
	char why[256];

	if (tracefs_remove_run(root, pid, why, sizeof(why)) < 0)
		cannot("cannot remove %s (lagrace %ld is gone): %s", what, pid,
		       why);
	else
		printf("removed %s (lagrace %ld is gone)\n", what, pid);
}

/* The tracefs instances of dead runs, then kprobe events of dead runs
 * that have no instance (killed between making one and the other). As
 * an ordinary user there is no tracefs to look at, and nothing of ours
 * in it. */
static void clean_trace(void)
{
	char why[128], what[96];
	int root = tracefs_open(why, sizeof(why)), dfd;
	struct dirent *d;
	char *kp, *line, *save = NULL;
	DIR *dp;
	long pid;

	if (root < 0)
		return;
	dfd = openat(root, "instances", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dp = dfd >= 0 ? fdopendir(dfd) : NULL;
	while (dp && (d = readdir(dp))) {
		pid = run_pid(d->d_name, strlen(d->d_name));
		if (!pid || d->d_name[7] != '-' || lagrace_alive(pid))
			continue;
		snprintf(what, sizeof(what), "tracefs instance %s", d->d_name);
		clean_run_trace(root, pid, what);
	}
	if (dp)
		closedir(dp);
	else if (dfd >= 0)
		close(dfd);
	kp = malloc(1 << 20);
	if (kp && tracefs_read(root, "kprobe_events", kp, 1 << 20) >= 0)
		for (line = strtok_r(kp, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			/* "p:lagrace_42/lagrace_release fuse_file_put ..." */
			char *g = strchr(line, ':');

			if (!g || !(pid = run_pid(g + 1, strcspn(g + 1, "/"))) ||
			    lagrace_alive(pid))
				continue;
			snprintf(what, sizeof(what), "kprobe event %.*s",
				 (int)strcspn(g + 1, " "), g + 1);
			clean_run_trace(root, pid, what);
		}
	free(kp);
	close(root);
}

int cleanup_main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");

	set_prog_name("lagrace cleanup");
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: lagrace cleanup\n"
		       "Removes what runs of lagrace that are no longer alive "
		       "left behind: mounts\nunder $TMPDIR/lagrace.PID.XXXXXX "
		       "(/tmp without $TMPDIR), those directories,\nand (as "
		       "root) tracefs instances lagrace-PID and kprobe events "
		       "lagrace_PID/*.\nOne line per thing removed; never "
		       "touches a running lagrace's. Exit status\n0 when "
		       "nothing is left behind.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "lagrace cleanup: unexpected argument '%s' "
			"(usage: lagrace cleanup; $TMPDIR says where)\n", argv[1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	clean_tmpdir(tmp && *tmp ? tmp : "/tmp");
	clean_trace();
	return left ? 1 : 0;
}
