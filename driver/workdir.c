#include "workdir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int open_owner(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" WORKDIR_OWNER, dir);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int workdir_create(struct workdir *w, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char fresh[PATH_MAX + 16], owner[PATH_MAX + 16];
	int fd;

	w->lock_fd = -1;
	snprintf(w->path, sizeof(w->path), "%s/" WORKDIR_PREFIX "%d.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	if (!mkdtemp(w->path)) {
		snprintf(err, errlen, "%s: %s", w->path, strerror(errno));
		return -1;
	}
	/* Locked before it gets its name: an owner file without a lock
	 * would be a dead run's to `lagrace cleanup`. */
	snprintf(fresh, sizeof(fresh), "%s/" WORKDIR_OWNER ".new", w->path);
	snprintf(owner, sizeof(owner), "%s/" WORKDIR_OWNER, w->path);
	fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_SH) < 0 || dprintf(fd, "%d\n",
	    (int)getpid()) < 0 || rename(fresh, owner) < 0) {
		snprintf(err, errlen, "%s: %s", fresh, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(fresh);
		rmdir(w->path);
		return -1;
	}
	w->lock_fd = fd;
	return 0;
}

int workdir_hold(struct workdir *w)
{
	int fd = open_owner(w->path);

	/* Our own lock first, then let go of the inherited descriptor (not
	 * the lock: that one is the forking process's too). */
	if (fd < 0 || flock(fd, LOCK_SH) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	w->lock_fd = fd;
	return 0;
}

static char tree_what[PATH_MAX];
static int tree_errno;

static int remove_one(const char *p, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	if (remove(p) < 0 && !tree_errno) {
		tree_errno = errno;
		snprintf(tree_what, sizeof(tree_what), "%s", p);
	}
	return 0;
}

int workdir_remove_tree(const char *dir, char *what, size_t cap)
{
	tree_errno = 0;
	/* FTW_MOUNT: a mount left below (a lagfs that could not be
	 * unmounted) is not ours to empty; its directory then stays. */
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 &&
	    !tree_errno) {
		tree_errno = errno;
		snprintf(tree_what, sizeof(tree_what), "%s", dir);
	}
	if (!tree_errno)
		return 0;
	snprintf(what, cap, "%s", tree_what);
	errno = tree_errno;
	return -1;
}

int workdir_leave(struct workdir *w, char *err, size_t errlen)
{
	char what[PATH_MAX];
	int fd;

	if (w->lock_fd < 0)
		return 0;
	close(w->lock_fd);
	w->lock_fd = -1;
	fd = open_owner(w->path);
	if (fd < 0)
		return 0; /* another process of the run removed it */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0; /* not the last one out */
	}
	if (workdir_remove_tree(w->path, what, sizeof(what)) < 0) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

/* "lagrace.PID.XXXXXX": PID, or 0 for a name of another form. */
static long pid_in_name(const char *dir)
{
	const char *base = strrchr(dir, '/');
	char *end;
	long pid;

	base = base ? base + 1 : dir;
	if (strncmp(base, WORKDIR_PREFIX, strlen(WORKDIR_PREFIX)))
		return 0;
	base += strlen(WORKDIR_PREFIX);
	errno = 0;
	pid = strtol(base, &end, 10);
	if (errno || end == base || *end != '.' || pid <= 0 ||
	    strlen(end + 1) != 6)
		return 0;
	return pid;
}

int workdir_claim_dead(const char *dir, long *pid)
{
	int fd;

	*pid = pid_in_name(dir);
	if (!*pid)
		return -1; /* not ours to judge */
	fd = open_owner(dir);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EWOULDBLOCK) {
			close(fd);
			return -1;
		}
		close(fd); /* no locks on this filesystem: ask about the PID */
	} else if (errno != ENOENT) {
		return -1;
	}
	/* No owner file (yet, or no lock): alive while its PID is. A reused
	 * PID only keeps the directory until that process ends too. */
	if (kill((pid_t)*pid, 0) == 0 || errno == EPERM)
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}
