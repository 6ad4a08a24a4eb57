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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deep_path.h"
#include "tap.h"

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

int main(void)
{
	char tmpl[] = "/tmp/test_deep_path.XXXXXX", want[LEVELS * 260];
	char *got, *top;
	struct stat root_st;
	int root, bottom, outside;
	bool cmp;

	if (!mkdtemp(tmpl)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	root = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(root >= 0 && fstat(root, &root_st) == 0, "temp dir as the root");

	got = deep_path_dir(root, root_st.st_dev, root_st.st_ino);
	ok(got && !strcmp(got, "/"), "the root itself is \"/\" (got %s)",
	   got ? got : "NULL");
	free(got);

	bottom = make_chain(root, 'd', want, sizeof(want));
	ok(bottom >= 0, "made %d levels of %d-byte names (%zu bytes)", LEVELS,
	   NAME_LEN, strlen(want));
	got = deep_path_dir(bottom, root_st.st_dev, root_st.st_ino);
	cmp = got && !strcmp(got, want);
	ok(cmp, "the bottom is named in full, %zu bytes, past PATH_MAX %d",
	   got ? strlen(got) : 0, PATH_MAX);
	free(got);

	/* Rename the top level: the same descriptor now has another path. */
	top = malloc(NAME_LEN + 1);
	memset(top, 'd', NAME_LEN);
	top[NAME_LEN] = '\0';
	ok(renameat(root, top, root, "moved") == 0, "rename the top level");
	got = deep_path_dir(bottom, root_st.st_dev, root_st.st_ino);
	ok(got && !strncmp(got, "/moved/", 7) &&
	   !strcmp(got + 6, want + NAME_LEN + 1),
	   "after the rename the path starts with /moved/");
	free(got);
	ok(renameat(root, "moved", root, top) == 0, "rename it back");
	free(top);

	/* The temp dir's parent is not below the root. */
	outside = openat(root, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	errno = 0;
	got = deep_path_dir(outside, root_st.st_dev, root_st.st_ino);
	ok(!got && errno == ENOENT, "a directory outside the root: NULL, "
	   "ENOENT (%s)", strerror(errno));
	free(got);
	close(outside);

	if (bottom >= 0)
		close(bottom);
	remove_chain(root, 'd', LEVELS);
	close(root);
	ok(rmdir(tmpl) == 0, "temp dir removed");
	return tap_done();
}
