/*
 * setup_hint: the hint for each machine state, on a fake /dev and /proc/sys
 * of the test's own (the integration test lagrace_could_not_run sees the
 * real ones; these are the states it cannot make: AppArmor's restriction,
 * Debian's unprivileged_userns_clone).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "harness.h"
#include "setup_hint.h"

/* A temp dir with sys/user and sys/kernel: a fake /proc/sys. */
static void make_fake(struct __test_metadata *_metadata, char *dir)
{
	char sys[64];

	strcpy(dir, "/tmp/test_setup_hint.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(dir)) TH_LOG("%s", strerror(errno));
	/* nobody walks in to try the fake /dev/fuse */
	ASSERT_EQ(0, chmod(dir, 0755));
	for (const char *const *d = (const char *const[]){ "sys", "sys/user",
			"sys/kernel", NULL }; *d; d++) {
		snprintf(sys, sizeof(sys), "%s/%s", dir, *d);
		ASSERT_EQ(0, mkdir(sys, 0755)) TH_LOG("%s: %s", sys,
						      strerror(errno));
	}
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_fake(struct __test_metadata *_metadata, const char *dir)
{
	EXPECT_EQ(0, nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS))
		TH_LOG("rm -r %s: %s", dir, strerror(errno));
}

/* dir/name holds text; no file when text is NULL. */
static void put(struct __test_metadata *_metadata, const char *dir,
		const char *name, const char *text)
{
	char path[256];
	FILE *f;

	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_LE(0, fputs(text, f));
	ASSERT_EQ(0, fclose(f)) TH_LOG("%s: %s", path, strerror(errno));
}

/* The words the hint must have (NULL ends them). */
static void hint_has(struct __test_metadata *_metadata, const char *hint,
		    const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && want[i]; i++)
		EXPECT_IN(want[i], hint);
}

/* ---- user namespaces: unshare(CLONE_NEWUSER) failed with err ---------- */

/* The sysctls of a fake /proc/sys (NULL: absent). */
FIXTURE_VARIANT(userns) {
	const char *max_userns, *userns_clone, *apparmor;
	int err;
	const char *want[3];
};

FIXTURE(userns) {
	char dir[32];
};

FIXTURE_SETUP(userns)
{
	make_fake(_metadata, self->dir);
	put(_metadata, self->dir, "sys/user/max_user_namespaces",
	    variant->max_userns);
	put(_metadata, self->dir, "sys/kernel/unprivileged_userns_clone",
	    variant->userns_clone);
	put(_metadata, self->dir,
	    "sys/kernel/apparmor_restrict_unprivileged_userns",
	    variant->apparmor);
}

FIXTURE_TEARDOWN(userns)
{
	remove_fake(_metadata, self->dir);
}

FIXTURE_VARIANT_ADD(userns, nothing_known_to_be_off) {
	.max_userns = "15000\n", .err = EPERM,
	.want = { "are unprivileged user namespaces disabled? Try "
		  "--fusermount" },
};
FIXTURE_VARIANT_ADD(userns, debian_switch_off) {
	.max_userns = "15000\n", .userns_clone = "0\n", .err = EPERM,
	.want = { "kernel.unprivileged_userns_clone is 0",
		  "sysctl -w kernel.unprivileged_userns_clone=1",
		  "or run lagrace with --fusermount" },
};
FIXTURE_VARIANT_ADD(userns, limited_to_0) {
	.max_userns = "0\n", .err = ENOSPC,
	.want = { "user.max_user_namespaces is 0" },
};
FIXTURE_VARIANT_ADD(userns, all_used_up) {
	.max_userns = "3\n", .err = ENOSPC,
	.want = { "too many user namespaces (user.max_user_namespaces is 3)" },
};
FIXTURE_VARIANT_ADD(userns, apparmor) {
	.max_userns = "3\n", .apparmor = "1\n", .err = EACCES,
	.want = { "AppArmor restricts unprivileged user namespaces",
		  "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" },
};

TEST_F(userns, hint)
{
	char sys[64], hint[256];

	snprintf(sys, sizeof(sys), "%s/sys", self->dir);
	setup_hint_userns(variant->err, sys, hint, sizeof(hint));
	hint_has(_metadata, hint, variant->want, ARRAY_SIZE(variant->want));
}

/* ---- the FUSE device -------------------------------------------------- */

/* A fake /proc/filesystems and /dev/fuse. */
FIXTURE_VARIANT(fuse) {
	const char *filesystems;
	const char *dev;	/* NULL: the fake's; otherwise this path */
	int dev_mode;		/* -1: no such file */
	const char *want[2];	/* { "" }: no hint at all */
};

FIXTURE(fuse) {
	char dir[32];
	char dev[64];
};

FIXTURE_SETUP(fuse)
{
	make_fake(_metadata, self->dir);
	put(_metadata, self->dir, "filesystems", variant->filesystems);
	snprintf(self->dev, sizeof(self->dev), "%s/fuse", self->dir);
	if (variant->dev_mode >= 0) {
		put(_metadata, self->dir, "fuse", "");
		ASSERT_EQ(0, chmod(self->dev, (mode_t)variant->dev_mode));
	}
	if (variant->dev)
		snprintf(self->dev, sizeof(self->dev), "%s", variant->dev);
}

FIXTURE_TEARDOWN(fuse)
{
	remove_fake(_metadata, self->dir);
}

#define FUSE_KNOWN "nodev\tsysfs\nnodev\tfuse\nnodev\tfusectl\n"

FIXTURE_VARIANT_ADD(fuse, not_in_proc_filesystems) {
	.filesystems = "nodev\tsysfs\nnodev\ttmpfs\n\text4\n", .dev_mode = -1,
	.want = { "the fuse module is not loaded: as root, modprobe fuse" },
};
FIXTURE_VARIANT_ADD(fuse, known_without_a_device_node) {
	.filesystems = FUSE_KNOWN, .dev_mode = -1,
	.want = { "there is no", "mknod -m 0666" },
};
FIXTURE_VARIANT_ADD(fuse, a_device_that_opens) {
	.filesystems = FUSE_KNOWN, .dev_mode = 0666, .want = { "" },
};
FIXTURE_VARIANT_ADD(fuse, fusectl_or_fuse_x_is_not_fuse) {
	.filesystems = "nodev\tfusectl\nnodev\tfuse.sshfs\n",
	.dev = "/nonexistent/fuse", .dev_mode = -1,
	.want = { "modprobe fuse" },
};
/* an ordinary user's view: root opens any file */
FIXTURE_VARIANT_ADD(fuse, a_device_we_may_not_open) {
	.filesystems = "nodev\tfuse\n", .dev_mode = 0,
	.want = { "is mode 0000", "as root, chmod 0666" },
};

/* setup_hint_fuse as uid 65534 in a child of ours. */
static void hint_as_nobody(struct __test_metadata *_metadata,
			   const char *dev, const char *fs, char *hint,
			   size_t cap)
{
	int pfd[2], st;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		setup_hint_fuse(dev, fs, hint, cap);
		_exit(write(pfd[1], hint, strlen(hint)) < 0);
	}
	close(pfd[1]);
	n = read(pfd[0], hint, cap - 1);
	close(pfd[0]);
	hint[n > 0 ? n : 0] = '\0';
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st) TH_LOG("the child as uid 65534");
}

TEST_F(fuse, hint)
{
	char fs[64], hint[256] = "";

	snprintf(fs, sizeof(fs), "%s/filesystems", self->dir);
	if (variant->dev_mode == 0 && geteuid() == 0)
		hint_as_nobody(_metadata, self->dev, fs, hint, sizeof(hint));
	else
		setup_hint_fuse(self->dev, fs, hint, sizeof(hint));
	if (!variant->want[0][0])
		EXPECT_STREQ("", hint);
	hint_has(_metadata, hint, variant->want, ARRAY_SIZE(variant->want));
}

TEST_HARNESS_MAIN
