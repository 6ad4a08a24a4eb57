/*
 * setup_hint: the hint for each machine state, on a fake /dev and /proc/sys
 * of the test's own (the integration test lagrace_could_not_run sees the
 * real ones; these are the states it cannot make: AppArmor's restriction,
 * Debian's unprivileged_userns_clone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setup_hint.h"
#include "tap.h"

static char dir[] = "/tmp/test_setup_hint.XXXXXX";

/* Write dir/NAME; its directories exist (made in main). */
static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void drop(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void userns_says(int err, const char *want, const char *desc)
{
	char sys[128], hint[256];

	snprintf(sys, sizeof(sys), "%s/sys", dir);
	setup_hint_userns(err, sys, hint, sizeof(hint));
	ok(strstr(hint, want) != NULL, "%s: '%s' (got '%s')", desc, want, hint);
}

static void fuse_says(const char *dev, const char *want, const char *desc)
{
	char fs[128], hint[256];

	snprintf(fs, sizeof(fs), "%s/filesystems", dir);
	setup_hint_fuse(dev, fs, hint, sizeof(hint));
	if (!*want)
		ok(!*hint, "%s: no hint (got '%s')", desc, hint);
	else
		ok(strstr(hint, want) != NULL, "%s: '%s' (got '%s')", desc, want,
		   hint);
}

/* fuse_says as an ordinary user (root opens any file): as uid 65534 in a
 * child when we are root. */
static void as_nobody(const char *dev, const char *want, const char *desc)
{
	char fs[128], hint[256] = "";
	int pfd[2], st;
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0) {
		fuse_says(dev, want, desc);
		return;
	}
	snprintf(fs, sizeof(fs), "%s/filesystems", dir);
	if (pipe(pfd) < 0 || (pid = fork()) < 0) {
		ok(0, "%s: pipe/fork: %s", desc, strerror(errno));
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		setup_hint_fuse(dev, fs, hint, sizeof(hint));
		_exit(write(pfd[1], hint, strlen(hint)) < 0);
	}
	close(pfd[1]);
	n = read(pfd[0], hint, sizeof(hint) - 1);
	close(pfd[0]);
	hint[n > 0 ? n : 0] = '\0';
	waitpid(pid, &st, 0);
	ok(strstr(hint, want) != NULL, "%s, as uid 65534: '%s' (got '%s')", desc,
	   want, hint);
}

int main(void)
{
	char dev[128];

	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	for (const char *const *d = (const char *const[]){ "sys", "sys/user",
			"sys/kernel", NULL }; *d; d++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s", dir, *d);
		if (mkdir(p, 0755) < 0) {
			perror(p);
			return 1;
		}
	}
	put("sys/user/max_user_namespaces", "15000\n");
	userns_says(EPERM, "are unprivileged user namespaces disabled? Try "
		    "--fusermount", "nothing known to be off");
	put("sys/kernel/unprivileged_userns_clone", "0\n");
	userns_says(EPERM, "kernel.unprivileged_userns_clone is 0", "Debian's switch off");
	userns_says(EPERM, "sysctl -w kernel.unprivileged_userns_clone=1", "  ... and how to turn it on");
	userns_says(EPERM, "or run lagrace with --fusermount", "  ... or --fusermount");
	drop("sys/kernel/unprivileged_userns_clone");
	put("sys/user/max_user_namespaces", "0\n");
	userns_says(ENOSPC, "user.max_user_namespaces is 0", "limited to 0");
	put("sys/user/max_user_namespaces", "3\n");
	userns_says(ENOSPC, "too many user namespaces (user.max_user_namespaces is 3)", "all used up");
	put("sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
	userns_says(EACCES, "AppArmor restricts unprivileged user namespaces", "AppArmor");
	userns_says(EACCES, "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0", "  ... and how to lift it");

	snprintf(dev, sizeof(dev), "%s/fuse", dir);
	put("filesystems", "nodev\tsysfs\nnodev\ttmpfs\n\text4\n");
	fuse_says(dev, "the fuse module is not loaded: as root, modprobe fuse",
		  "no fuse in /proc/filesystems");
	put("filesystems", "nodev\tsysfs\nnodev\tfuse\nnodev\tfusectl\n");
	fuse_says(dev, "there is no", "fuse known, no device node");
	fuse_says(dev, "mknod -m 0666", "  ... and how to make one");
	put("fuse", "");
	fuse_says(dev, "", "a device that opens");
	put("filesystems", "nodev\tfusectl\nnodev\tfuse.sshfs\n");
	fuse_says("/nonexistent/fuse", "modprobe fuse", "fusectl or fuse.X is not fuse");
	chmod(dev, 0);
	chmod(dir, 0755);
	put("filesystems", "nodev\tfuse\n");
	as_nobody(dev, "is mode 0000", "a device we may not open: its mode");
	as_nobody(dev, "as root, chmod 0666", "  ... and the fix");
	drop("fuse");
	drop("filesystems");
	drop("sys/kernel/apparmor_restrict_unprivileged_userns");
	drop("sys/user/max_user_namespaces");
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/sys/kernel", dir);
		rmdir(p);
		snprintf(p, sizeof(p), "%s/sys/user", dir);
		rmdir(p);
		snprintf(p, sizeof(p), "%s/sys", dir);
		rmdir(p);
	}
	rmdir(dir);
	return tap_done();
}
