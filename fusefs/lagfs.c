#include "lagfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep_path.h"
#include "lag_event.h"
#include "xpthread.h"

void lagfs_set_rules(struct lagfs *fs, struct rule_set *rs)
{
	struct rule_set *old;

	xrwlock_wrlock(&fs->rules_lock);
	old = fs->rules;
	fs->rules = rs;
	atomic_store(&fs->op_mask, rs->op_mask);
	xrwlock_unlock(&fs->rules_lock);
	/* Readers copy what they need out under the lock: nobody holds old. */
	rule_set_free(old);
}

/* The --rule rules first, then the file's (re-read from their text). */
static struct rule_set *build_rules(struct lagfs *fs, char *err,
				    size_t errlen)
{
	struct rule_set *rs, *file;

	if (!fs->rules_file)
		file = rule_set_new();
	else
		file = rule_set_load(fs->rules_file, err, errlen);
	if (!file)
		return NULL;
	rs = rule_set_dup(fs->cli_rules);
	for (size_t i = 0; rs && i < file->count; i++) {
		if (rule_set_add_line(rs, file->rules[i].text, err, errlen)) {
			rule_set_free(rs);
			rs = NULL;
		}
	}
	if (!rs && !*err)
		snprintf(err, errlen, "out of memory");
	rule_set_free(file);
	return rs;
}

int lagfs_reload(struct lagfs *fs, char *err, size_t errlen)
{
	struct rule_set *rs = build_rules(fs, err, errlen);
	struct lag_event e;

	lag_event_init(&e, LAG_EV_RELOAD);
	e.pid = getpid();
	if (!rs) {
		e.result = -EINVAL;
		snprintf(e.detail, sizeof(e.detail), "%s", err);
	} else {
		snprintf(e.detail, sizeof(e.detail), "%zu rules", rs->count);
		lagfs_set_rules(fs, rs);
	}
	lagfs_log(fs, &e);
	return rs ? 0 : -1;
}

struct rule_set *lagfs_initial_rules(struct lagfs *fs, char *err,
				     size_t errlen)
{
	return build_rules(fs, err, errlen);
}

/*
 * From /proc, one readlink. Sets *too_long when the kernel cannot name the
 * file there because its absolute path reaches PATH_MAX.
 */
static char *proc_path(struct lagfs *fs, int fd, bool *too_long)
{
	char proc[32], buf[PATH_MAX + 1];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf));
	*too_long = (n < 0 && errno == ENAMETOOLONG) ||
		    n >= (ssize_t)sizeof(buf);
	if (n < 0 || *too_long)
		return NULL;
	buf[n] = '\0';
	if (strncmp(buf, fs->backing, fs->backing_len) != 0)
		return NULL;
	if (buf[fs->backing_len] == '\0')
		return strdup("/");
	if (buf[fs->backing_len] != '/')
		return NULL;
	return strdup(buf + fs->backing_len);
}

static char *dir_path(struct lagfs *fs, int fd)
{
	struct lag_inode *root = inode_table_get(fs->inodes, FUSE_ROOT_ID);
	bool too_long;
	char *p = proc_path(fs, fd, &too_long);

	return p || !too_long ? p : deep_path_dir(fd, root->dev, root->ino);
}

/*
 * A file other than a directory has no "..": name it by the directory and
 * name it was last seen under, if that name still is this file.
 */
static char *file_path(struct lagfs *fs, struct lag_inode *in)
{
	char *name, *dir, *p = NULL;
	struct stat st;
	dev_t pdev;
	ino_t pino;
	int pfd;

	if (inode_table_seen_as(fs->inodes, in, &pdev, &pino, &name) < 0)
		return NULL;
	pfd = inode_table_dup_fd(fs->inodes, pdev, pino);
	if (pfd >= 0 && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == in->dev && st.st_ino == in->ino &&
	    (dir = dir_path(fs, pfd))) {
		if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			     name) < 0)
			p = NULL;
		free(dir);
	}
	if (pfd >= 0)
		close(pfd);
	free(name);
	return p;
}

char *lagfs_inode_path(struct lagfs *fs, struct lag_inode *in)
{
	bool too_long;
	char *p = proc_path(fs, in->fd, &too_long);

	if (p || !too_long)
		return p;
	return in->type == S_IFDIR ? dir_path(fs, in->fd) : file_path(fs, in);
}
