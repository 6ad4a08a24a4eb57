#include "tracefs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "report_err.h"

/* Mounts of tracefs that may already be there, when we may not make one. */
static const char *const mounted[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

/* A tracefs mount attached nowhere: no namespace shows it, no unmount is
 * needed, and it ends with the last descriptor of it. */
static int detached_mount(void)
{
	int fs = fsopen("tracefs", FSOPEN_CLOEXEC), m;

	if (fs < 0)
		return -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;

		close(fs);
		errno = e;
		return -1;
	}
	m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	close(fs);
	return m;
}

int tracefs_open(char *why, size_t cap)
{
	int fd, e;

	/* tracefs is the initial namespace's root's alone. */
	if (geteuid() != 0)
		return errf(why, cap, "needs root");
	fd = detached_mount();
	if (fd >= 0)
		return fd;
	e = errno;
	for (size_t i = 0; i < sizeof(mounted) / sizeof(mounted[0]); i++) {
		fd = open(mounted[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && tracefs_has(fd, "instances"))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return errf(why, cap, "tracefs: %s", e == ENODEV ? "not in this "
		    "kernel" : strerror(e));
}

static int write_flags(int dir, const char *path, const char *text, int fl)
{
	int fd = openat(dir, path, O_WRONLY | O_CLOEXEC | fl), e;
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = len ? write(fd, text, len) : 0;
	e = errno;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	errno = n < 0 ? e : EIO;
	return -1;
}

int tracefs_write(int dir, const char *path, const char *text)
{
	return write_flags(dir, path, text, O_TRUNC);
}

int tracefs_append(int dir, const char *path, const char *text)
{
	return write_flags(dir, path, text, O_APPEND);
}

ssize_t tracefs_read(int dir, const char *path, char *buf, size_t cap)
{
	int fd = openat(dir, path, O_RDONLY | O_CLOEXEC), e;
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	/* tracefs files answer in pieces */
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	e = errno;
	close(fd);
	buf[len] = '\0';
	if (n < 0) {
		errno = e;
		return -1;
	}
	return (ssize_t)len;
}

bool tracefs_has(int dir, const char *path)
{
	return faccessat(dir, path, F_OK, 0) == 0;
}

/* Remove the kprobe events of group ("-:group/event" for each). */
static int remove_kprobes(int root, const char *group, char *why, size_t cap)
{
	size_t glen = strlen(group), bufcap = 1 << 20;
	char *buf = malloc(bufcap), *line, *save = NULL;
	int rc = 0;

	if (!buf)
		return errf(why, cap, "kprobe_events: %s", strerror(ENOMEM));
	if (tracefs_read(root, "kprobe_events", buf, bufcap) < 0) {
		free(buf);
		/* no kprobes in this kernel: none of ours either */
		return errno == ENOENT ? 0 : errf(why, cap, "kprobe_events: %s",
						  strerror(errno));
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* "p:lagrace_42/lagrace_release fuse_file_put ..." */
		char cmd[256], *name = strchr(line, ':');

		if (!name || strncmp(name + 1, group, glen) ||
		    name[1 + glen] != '/')
			continue;
		snprintf(cmd, sizeof(cmd), "-:%.*s\n",
			 (int)strcspn(name + 1, " "), name + 1);
		/* ENOENT: someone else removed it first (another lane) */
		if (tracefs_append(root, "kprobe_events", cmd) < 0 &&
		    errno != ENOENT && !rc)
			rc = errf(why, cap, "kprobe event %.*s: %s",
				  (int)strcspn(name + 1, " "), name + 1,
				  strerror(errno));
	}
	free(buf);
	return rc;
}

int tracefs_remove_run(int root, long pid, char *why, size_t cap)
{
	char name[64], group[64], path[160];
	int inst;

	snprintf(name, sizeof(name), TRACEFS_INSTANCE_FMT, pid);
	snprintf(group, sizeof(group), TRACEFS_KPROBE_GROUP_FMT, pid);
	snprintf(path, sizeof(path), "instances/%s", name);
	inst = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (inst >= 0) {
		/* Triggers first: older kernels refuse to remove an
		 * instance whose events still have them. Opening a trigger
		 * file truncated drops them all. */
		snprintf(path, sizeof(path), "events/%s/lagrace_release/trigger",
			 group);
		tracefs_write(inst, "events/fuse/fuse_request_send/trigger", "");
		tracefs_write(inst, path, "");
		tracefs_write(inst, "events/enable", "0");
		close(inst);
		snprintf(path, sizeof(path), "instances/%s", name);
		if (unlinkat(root, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return errf(why, cap, "tracefs instance %s: %s", name,
				    strerror(errno));
	}
	return remove_kprobes(root, group, why, cap);
}
