#include "workload.h"

#include <dirent.h>
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"
#include "small_file.h"
#include "workdir.h"

static ino_t pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

pid_t workload_spawn(struct workload *w)
{
	struct clone_args ca = { .flags = CLONE_NEWPID,
				 .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));

	memset(w, 0, sizeof(*w));
	if (pid < 0 && errno != EPERM && errno != EINVAL && errno != ENOSYS &&
	    errno != ENOSPC && errno != EUSERS)
		return -1;
	if (pid < 0) {
		/* No namespace for us: a process group, and its orphans
		 * come to us rather than to init. */
		w->group = true;
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			return -1;
		pid = fork();
		if (pid == 0)
			setpgid(0, 0);
		else if (pid > 0)
			setpgid(pid, pid); /* whoever is first */
	}
	if (pid > 0) {
		w->pid = pid;
		if (!w->group)
			w->pidns = pidns_of(pid);
	}
	return pid;
}

int workload_kill(const struct workload *w)
{
	return kill(w->group ? -w->pid : w->pid, SIGKILL);
}

/* Kill and reap our children but w->keep: how many there were. */
static unsigned sweep(const struct workload *w)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		struct proc_stat ps;

		if (pid <= 0 || pid == w->keep || proc_stat_read(pid, &ps) < 0 ||
		    ps.ppid != getpid())
			continue;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

void workload_reap_rest(const struct workload *w)
{
	if (!w->group)
		return;
	kill(-w->pid, SIGKILL);
	while (sweep(w))
		;
}

static bool is_ours(const struct workload *w, pid_t pid)
{
	struct proc_stat ps;

	if (!w->group && !w->pidns)
		return pid == w->pid;
	if (!w->group)
		return pidns_of(pid) == w->pidns;
	return proc_stat_read(pid, &ps) == 0 && ps.pgrp == w->pid;
}

unsigned workload_stuck(const struct workload *w, char *out, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned n = 0;
	size_t len = 0;

	out[0] = '\0';
	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		struct proc_stat ps;
		char path[64], wchan[64] = "?";

		if (pid <= 0 || !is_ours(w, pid) || proc_stat_read(pid, &ps) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
		if (small_file_read(path, wchan, sizeof(wchan)) <= 0 ||
		    !strcmp(wchan, "0"))
			snprintf(wchan, sizeof(wchan), "state %c", ps.state);
		if (n++ < 4 && len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%spid %d "
						"(%s) in %s", n > 1 ? ", " : "",
						(int)pid, ps.comm, wchan);
	}
	if (d)
		closedir(d);
	if (n > 4 && len < cap)
		snprintf(out + len, cap - len, " and %u more", n - 4);
	return n;
}

/* cp -R populate/. back (owners are not ours to keep): 0, or -1 with err. */
static int copy_in(const char *populate, const char *back, char *err,
		   size_t errlen)
{
	char from[4096];
	pid_t pid;
	int st;

	snprintf(from, sizeof(from), "%s/.", populate);
	pid = fork();
	if (pid == 0) {
		execlp("cp", "cp", "-R", "-P", "--preserve=mode,timestamps", "--",
		       from, back, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		snprintf(err, errlen, "--populate %s: %s", populate,
			 strerror(errno));
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, errlen, "--populate %s: cp -R into %s failed "
			 "(status %d)", populate, back, WIFEXITED(st) ?
			 WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return 0;
}

int workload_fresh_dir(const char *back, const char *populate, char *err,
		       size_t errlen)
{
	char what[4096];

	if (workdir_remove_tree(back, what, sizeof(what)) < 0 &&
	    errno != ENOENT) {
		snprintf(err, errlen, "emptying %s: %s", what, strerror(errno));
		return -1;
	}
	if (mkdir(back, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", back, strerror(errno));
		return -1;
	}
	return populate ? copy_in(populate, back, err, errlen) : 0;
}
