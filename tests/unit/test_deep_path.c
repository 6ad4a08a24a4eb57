/*
 * deep_path unit tests: a directory tree deeper than PATH_MAX, built with
 * mkdirat() one level at a time in a temp dir, named from a descriptor of
 * its bottom; the root itself; a directory outside the root; a renamed
 * level.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deep_path.h"
#include "harness.h"

#define LEVELS 20
#define NAME_LEN 250

/* Make LEVELS nested directories of NAME_LEN bytes under dirfd (letter c);
 * return an O_PATH descriptor of the bottom one and the path in *want. */
static int make_chain(int dirfd, char c, char *want, size_t cap)
{
	char name[NAME_LEN + 1];
	int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	size_t len = 0;

	memset(name, c, NAME_LEN);
	name[NAME_LEN] = '\0';
	want[0] = '\0';
	for (int i = 0; i < LEVELS && cur >= 0; i++) {
		int next;

		if (mkdirat(cur, name, 0700) < 0 && errno != EEXIST)
			next = -1;
		else
			next = openat(cur, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = next;
		if (len + NAME_LEN + 2 < cap) {
			want[len++] = '/';
			memcpy(want + len, name, NAME_LEN + 1);
			len += NAME_LEN;
		}
	}
	return cur;
}

/* rm -r of what make_chain made, bottom up. */
static void remove_chain(int dirfd, char c, int levels)
{
	char name[NAME_LEN + 1];
	int fd;

	if (levels == 0)
		return;
	memset(name, c, NAME_LEN);
	name[NAME_LEN] = '\0';
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		remove_chain(fd, c, levels - 1);
		close(fd);
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* A temp dir as the root, and a chain of LEVELS directories below it. */
FIXTURE(tree) {
	char dir[32];
	int root, bottom;
	struct stat st;
	char want[LEVELS * 260];
};

FIXTURE_SETUP(tree)
{
	strcpy(self->dir, "/tmp/test_deep_path.XXXXXX");
	self->root = self->bottom = -1;
	ASSERT_NE(NULL, mkdtemp(self->dir))
		TH_LOG("mkdtemp: %s", strerror(errno));
	self->root = open(self->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->root) TH_LOG("%s: %s", self->dir, strerror(errno));
	ASSERT_EQ(0, fstat(self->root, &self->st));
	self->bottom = make_chain(self->root, 'd', self->want,
				  sizeof(self->want));
	ASSERT_LE(0, self->bottom) TH_LOG("%d levels of %d-byte names: %s",
					  LEVELS, NAME_LEN, strerror(errno));
}

FIXTURE_TEARDOWN(tree)
{
	if (self->bottom >= 0)
		close(self->bottom);
	remove_chain(self->root, 'd', LEVELS);
	close(self->root);
	EXPECT_EQ(0, rmdir(self->dir)) TH_LOG("%s: %s", self->dir,
					     strerror(errno));
}

static char *name_of(FIXTURE_DATA(tree) *self, int fd)
{
	return deep_path_dir(fd, self->st.st_dev, self->st.st_ino);
}

TEST_F(tree, root_is_slash)
{
	char *got = name_of(self, self->root);

	EXPECT_STREQ("/", got);
	free(got);
}

TEST_F(tree, named_in_full_past_path_max)
{
	char *got = name_of(self, self->bottom);

	ASSERT_LT(PATH_MAX, strlen(self->want));
	EXPECT_STREQ(self->want, got);
	free(got);
}

/* Rename the top level: the same descriptor now has another path. */
TEST_F(tree, follows_a_rename)
{
	char top[NAME_LEN + 1], want[sizeof(self->want)], *got;

	memset(top, 'd', NAME_LEN);
	top[NAME_LEN] = '\0';
	ASSERT_EQ(0, renameat(self->root, top, self->root, "moved"))
		TH_LOG("%s", strerror(errno));
	snprintf(want, sizeof(want), "/moved%s", self->want + NAME_LEN + 1);
	got = name_of(self, self->bottom);
	EXPECT_STREQ(want, got);
	free(got);
	EXPECT_EQ(0, renameat(self->root, "moved", self->root, top))
		TH_LOG("%s", strerror(errno));
}

/* The temp dir's parent is not below the root. */
TEST_F(tree, outside_the_root_is_enoent)
{
	int outside = openat(self->root, "..",
			     O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *got;

	ASSERT_LE(0, outside);
	errno = 0;
	got = name_of(self, outside);
	EXPECT_EQ(ENOENT, errno) TH_LOG("%s", strerror(errno));
	EXPECT_NULL(got);
	free(got);
	close(outside);
}

TEST_HARNESS_MAIN
