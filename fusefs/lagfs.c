#include "lagfs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lag_event.h"

void lagfs_set_rules(struct lagfs *fs, struct rule_set *rs)
{
	struct rule_set *old;

	pthread_rwlock_wrlock(&fs->rules_lock);
	old = fs->rules;
	fs->rules = rs;
	atomic_store(&fs->op_mask, rs->op_mask);
	pthread_rwlock_unlock(&fs->rules_lock);
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

char *lagfs_fd_path(struct lagfs *fs, int fd)
{
	char proc[32], buf[PATH_MAX + 1];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0)
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
