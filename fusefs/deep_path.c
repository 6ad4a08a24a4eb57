#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "deep_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * The name in directory parent (O_PATH) of the file whose stat is child,
 * malloc'd; NULL with errno set. d_ino is only a filter: the stat decides,
 * since a mount point's d_ino is that of the directory under it.
 */
static char *name_in(int parent, const struct stat *child)
{
	int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *d;
	char *name = NULL;
	DIR *dir;

	if (dfd < 0)
		return NULL;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return NULL;
	}
	errno = 0;
	while (!name && (d = readdir(dir))) {
		struct stat st;

		if (d->d_ino != child->st_ino || !strcmp(d->d_name, ".") ||
		    !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(parent, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    same_file(&st, child))
			name = strdup(d->d_name);
	}
	if (!name && !errno)
		errno = ENOENT; /* renamed away meanwhile */
	closedir(dir);
	return name;
}

/* Prepend "/" name to the path *p of *len bytes (no terminator yet). */
static int prepend(char **p, size_t *len, const char *name)
{
	size_t n = strlen(name);
	char *q = malloc(*len + n + 2);

	if (!q)
		return -1;
	q[0] = '/';
	memcpy(q + 1, name, n);
	if (*len)
		memcpy(q + 1 + n, *p, *len);
	free(*p);
	*p = q;
	*len += n + 1;
	return 0;
}

char *deep_path_dir(int dirfd, dev_t root_dev, ino_t root_ino)
{
	int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	char *path = NULL, *done;
	size_t len = 0;
	int err = 0;

	if (cur < 0)
		return NULL;
	for (;;) {
		struct stat st, pst;
		char *name;
		int parent;

		if (fstat(cur, &st) < 0) {
			err = errno;
			break;
		}
		if (st.st_dev == root_dev && st.st_ino == root_ino)
			break;
		parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &pst) < 0) {
			err = errno;
			if (parent >= 0)
				close(parent);
			break;
		}
		close(cur);
		cur = parent;
		if (same_file(&pst, &st)) {
			err = ENOENT; /* reached "/": not below the root */
			break;
		}
		name = name_in(parent, &st);
		if (!name || prepend(&path, &len, name) < 0) {
			err = errno ? errno : ENOMEM;
			free(name);
			break;
		}
		free(name);
	}
	close(cur);
	if (err) {
		free(path);
		errno = err;
		return NULL;
	}
	if (!len)
		return strdup("/");
	done = realloc(path, len + 1);
	if (!done) {
		free(path);
		return NULL;
	}
	done[len] = '\0';
	return done;
}
