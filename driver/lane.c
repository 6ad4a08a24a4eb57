#include "lane.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iteration.h"
#include "other_fs.h"
#include "setup_hint.h"
#include "tracefs.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Our own mount namespace; for an ordinary user, a user namespace too in
 * which we are root, so umount2() works. */
static int private_mounts(bool as_user, char *err, size_t errlen)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64], hint[256] = "";

	if (unshare(CLONE_NEWNS | (as_user ? CLONE_NEWUSER : 0)) < 0) {
		int e = errno;

		if (as_user)
			setup_hint_userns(e, "/proc/sys", hint, sizeof(hint));
		snprintf(err, errlen, "unshare%s: %s%s%s",
			 as_user ? " of a user namespace" : "", strerror(e),
			 *hint ? "; " : "", hint);
		return -1;
	}
	if (as_user) {
		snprintf(map, sizeof(map), "0 %u 1", uid);
		if (write_file("/proc/self/setgroups", "deny") < 0 ||
		    write_file("/proc/self/uid_map", map) < 0)
			goto map_fail;
		snprintf(map, sizeof(map), "0 %u 1", gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			goto map_fail;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "making mounts private: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
map_fail:
	{
		int e = errno;

		setup_hint_userns(e, "/proc/sys", hint, sizeof(hint));
		snprintf(err, errlen, "user namespace id maps: %s; %s",
			 strerror(e), hint);
	}
	return -1;
}

static int setup(struct lane_env *env, const char *workdir, char *err,
		 size_t errlen)
{
	const struct race_cfg *cfg = env->cfg;
	char dir[PATH_MAX];

	if (cfg->mount_dir) {
		env->shared = true;
		snprintf(env->mnt, sizeof(env->mnt), "%s", cfg->mount_dir);
		snprintf(env->sock, sizeof(env->sock), "%s", cfg->mount_control);
		/* the engines' files, made through that lagfs if missing */
		if (!engines[cfg->engine]->opaque &&
		    fs_make_files(cfg, env->mnt, err, errlen) < 0)
			return -1;
		return lagfs_proc_attach(&env->proc, env->mnt,
					 cfg->mount_log, env->sock, err, errlen);
	}
	snprintf(dir, sizeof(dir), "%s/lane%u", workdir, env->lane);
	snprintf(env->dir, sizeof(env->dir), "%s", dir);
	snprintf(env->back, sizeof(env->back), "%s/back", dir);
	snprintf(env->mnt, sizeof(env->mnt), "%s/mnt", dir);
	snprintf(env->sock, sizeof(env->sock), "%s/control", dir);
	snprintf(env->errlog, sizeof(env->errlog), "%s/lagfs.stderr", dir);
	if (mkdir(dir, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!cfg->fusermount && (getuid() != 0 || !cfg->no_namespace)) {
		if (private_mounts(getuid() != 0, err, errlen) < 0)
			return -1;
		/* The lane's files live and die with its namespace: if
		 * lagrace is killed, nothing of them stays on disk. */
		if (mount("lagrace", dir, "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=0700") < 0) {
			snprintf(err, errlen, "tmpfs on %s: %s", dir,
				 strerror(errno));
			return -1;
		}
		env->tmpfs = true;
	}
	if ((cfg->fs == FS_LAGFS && mkdir(env->back, 0700) < 0) ||
	    mkdir(env->mnt, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* An opaque engine's workload gets a fresh directory of its own
	 * each iteration (iteration.c). */
	if (engines[cfg->engine]->opaque)
		return 0;
	if (cfg->fs != FS_LAGFS)
		return other_fs_setup(env, err, errlen);
	return fs_make_files(cfg, env->back, err, errlen);
}

/* lagrace is gone (killed, even with SIGKILL) and cannot remove its
 * tracefs instance: the lanes, its last processes, do. */
static void remove_orphan_trace(const struct lane_env *env, pid_t parent)
{
	char why[256];
	int root;

	if (!env->cfg->traced || getppid() == parent)
		return;
	root = tracefs_open(why, sizeof(why));
	if (root < 0)
		return;
	if (tracefs_remove_run(root, (long)parent, why, sizeof(why)) < 0)
		fprintf(stderr, "lagrace: lane %u: %s\n", env->lane, why);
	close(root);
}

/* The lane's directory goes, mounts first; then the run's, if this lane
 * is the last process of the run (lagrace itself was killed). */
static void leave(struct lane_env *env, struct workdir *wd, pid_t parent)
{
	char what[PATH_MAX];

	other_fs_leave(env);
	if (!env->shared && *env->dir) {
		if (env->tmpfs)
			umount2(env->dir, MNT_DETACH);
		if (workdir_remove_tree(env->dir, what, sizeof(what)) < 0 &&
		    errno != ENOENT)
			fprintf(stderr, "lagrace: lane %u: %s: %s\n", env->lane,
				what, strerror(errno));
	}
	if (workdir_leave(wd, what, sizeof(what)) < 0)
		fprintf(stderr, "lagrace: lane %u: %s\n", env->lane, what);
	remove_orphan_trace(env, parent);
}

static void send_result(int fd, const struct iter_result *r)
{
	/* One write below PIPE_BUF: atomic even with other lanes writing.
	 * The kernel's trace is the main process's to add. */
	_Static_assert(LANE_RESULT_SIZE <= 4096, "a result must fit PIPE_BUF");
	/* Nobody reads any more (lagrace was killed): finish, clean up. */
	if (write(fd, r, LANE_RESULT_SIZE) != (ssize_t)LANE_RESULT_SIZE)
		stop = 1;
}

/*
 * /proc/PID/stat counts lagfs's CPU in clock ticks (10 ms), far coarser
 * than an iteration's 0.5 ms, and truncates: a lane of few iterations
 * showed none. Once iteration_cleanup() has reaped lagfs, the lane's
 * children's rusage holds its CPU to the microsecond: what it adds to
 * the workloads' (r->child_cpu_us, before) is lagfs's.
 */
static void add_lagfs_cpu(const struct lane_env *env, struct iter_result *r)
{
	struct rusage kids;
	uint64_t us;

	if (env->shared || getrusage(RUSAGE_CHILDREN, &kids) < 0)
		return;
	us = (uint64_t)(kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) *
		     1000000u +
	     (uint64_t)(kids.ru_utime.tv_usec + kids.ru_stime.tv_usec);
	if (us > r->child_cpu_us)
		r->lagfs_cpu_us = us - r->child_cpu_us;
}

int lane_main(const struct race_cfg *cfg, unsigned lane, int result_fd,
	      struct workdir *wd, pid_t parent)
{
	struct lane_env env = { .cfg = cfg, .lane = lane,
				.seed = cfg->seed * 7919u + lane };
	struct sigaction sa = { .sa_handler = on_term };
	struct iter_result r;
	bool last = false;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* send_result sees EPIPE instead */
	/* If lagrace dies, we stop as on SIGINT; if it died already, the
	 * signal will never come. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		stop = 1;
	if (workdir_hold(wd) < 0)
		fprintf(stderr, "lagrace: lane %u: holding %s: %s\n", lane,
			wd->path, strerror(errno));
	memset(&r, 0, sizeof(r));
	if (!stop && setup(&env, wd->path, r.err, sizeof(r.err)) < 0) {
		r.lane = lane;
		r.error = 1;
		r.not_run = true;
		send_result(result_fd, &r);
		leave(&env, wd, parent);
		return 1;
	}
	for (unsigned i = lane; i < cfg->iterations && !stop; i += cfg->jobs) {
		int res = iteration_run(&env, i, &r);

		/* The lane's last result waits for its lagfs's CPU. */
		if (res == 0 && i + cfg->jobs >= cfg->iterations) {
			last = true;
			break;
		}
		send_result(result_fd, &r);
		if (res < 0)
			break;
	}
	iteration_cleanup(&env);
	if (last) {
		add_lagfs_cpu(&env, &r);
		send_result(result_fd, &r);
	}
	leave(&env, wd, parent);
	return r.error ? 1 : 0;
}
