#include "iteration.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "other_fs.h"
#include "procfs.h"
#include "small_file.h"
#include "verdict.h"
#include "workload.h"

#define MS 1000000ull
#define ARRIVAL_TIMEOUT_NS (5000 * MS)
/* Until lagfs has logged the child's release the mount is surely busy:
 * probe slowly; after it, fast, to time the moment it frees. */
#define PROBE_SLOW_NS (2000 * 1000ull)
#define PROBE_FAST_NS (100 * 1000ull)
#define RETRY_NS MS
#define EXIT_TIMEOUT_NS (5000 * MS)

struct iter {
	struct lane_env *env;
	const struct race_cfg *cfg;
	struct iter_result *r;
	struct lagfs_proc *lp;
	struct ev_rec *ev;
	size_t n, cap;
	pid_t child;
	pid_t opener;                  /* whose opens count: the child, or 0:
					* anyone's (an opaque engine's mount) */
	bool opaque;                   /* engines[]->opaque */
	struct workload wl;            /* opaque: its namespace or group */
	bool reaped;
	int pidfd;
	int cue_fd;                    /* tells the child to close its files */
	bool hold_released;
};

/* The iteration could not run: the first reason is the one kept. */
PRINTF(2, 3) static void fail(struct iter *it, const char *fmt, ...)
{
	va_list ap;

	if (it->r->error)
		return;
	it->r->error = 1;
	va_start(ap, fmt);
	vsnprintf(it->r->err, sizeof(it->r->err), fmt, ap);
	va_end(ap);
}

static void record(struct iter *it, const struct lag_event *e)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 256;
		struct ev_rec *ev = realloc(it->ev, cap * sizeof(*ev));

		if (!ev)
			return; /* the verdict sees fewer events; never wrong */
		it->ev = ev;
		it->cap = cap;
	}
	ev_rec_from(&it->ev[it->n++], e);
}

/* One event into the record, waiting until deadline: 1, 0 timeout, -1 end */
static int pump(struct iter *it, uint64_t deadline)
{
	struct lag_event *e;
	int r;

	if (!it->lp->events && it->cfg->fs != FS_LAGFS) {
		/* No events on another filesystem: only time passes. */
		uint64_t now = lag_now_ns();
		struct timespec ts = { 0, 0 };

		if (deadline > now)
			ts.tv_nsec = (long)(deadline - now < 10 * MS
					    ? deadline - now : 10 * MS);
		nanosleep(&ts, NULL);
		return 0;
	}
	if (!it->lp->events)
		return -1; /* lagfs was killed */
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	r = event_stream_next(it->lp->events, e, deadline);
	if (r == 1)
		record(it, e);
	free(e);
	return r;
}

static bool is_childs(struct iter *it, uint64_t fh)
{
	return verdict_fh_is_childs(it->ev, it->n, it->opener, fh);
}

static bool mine(const struct iter *it, const struct ev_rec *e)
{
	return it->opener == 0 || e->pid == it->opener;
}

/* The IO that tells us the child is where we want it: t of that event
 * (--kill-on park:N: of the Nth park). */
static uint64_t arrived(struct iter *it)
{
	unsigned parks = 0, want = it->cfg->kill_parks;
	bool by_park = want || it->cfg->lagfs.hold != LAGFS_NO_HOLD;

	for (size_t i = 0; i < it->n; i++) {
		const struct ev_rec *e = &it->ev[i];

		if (!by_park) {
			if ((e->kind == LAG_EV_OPEN ||
			     e->kind == LAG_EV_CREATE) && mine(it, e))
				return e->t_ns;
		} else if (e->kind == LAG_EV_PARK && is_childs(it, e->fh) &&
			   ++parks >= (want ? want : 1)) {
			return e->t_ns;
		}
	}
	return 0;
}

static struct verdict current(struct iter *it)
{
	struct verdict_in in = { .child = it->opener, .t_reap = it->r->t_reap,
				 .ev = it->ev, .n = it->n };
	struct verdict v;

	verdict_compute(&in, &v);
	return v;
}

static bool all_released(struct iter *it)
{
	struct verdict v = current(it);

	return v.child_opens && v.never_released == 0;
}

/* lagfs has logged the kill's FUSE_INTERRUPT for the child's held IO. */
static bool interrupted(struct iter *it)
{
	for (size_t i = 0; i < it->n; i++)
		if (it->ev[i].kind == LAG_EV_INTERRUPT &&
		    is_childs(it, it->ev[i].fh))
			return true;
	return false;
}

static void start_child(struct iter *it)
{
	struct engine_opts eo = it->cfg->eo;
	int cue[2] = { -1, -1 };
	pid_t lane;

	eo.dir = it->env->mnt;
	eo.seed = it->env->seed + it->r->index;
	eo.iteration = it->r->index;
	/* A socket, not a pipe: a child already gone must not SIGPIPE us.
	 * Both ways: a signals_ready engine answers on it. */
	if ((eo.close_in_flight || engines[it->cfg->engine]->signals_ready) &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cue) < 0) {
		fail(it, "socketpair: %s", strerror(errno));
		return;
	}
	eo.cue_fd = cue[0];
	lane = getpid();
	it->r->t_fork = lag_now_ns();
	it->child = it->opaque ? workload_spawn(&it->wl) : fork();
	it->wl.keep = it->lp->pid;
	if (it->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* an init's parent is outside its namespace: pid 0 */
		if (getppid() != lane && !(it->opaque && !it->wl.group))
			_exit(1);
		signal(SIGPIPE, SIG_DFL); /* the lane ignores it */
		if (cue[1] >= 0)
			close(cue[1]);
		_exit(engines[it->cfg->engine]->run(&eo));
	}
	if (cue[0] >= 0)
		close(cue[0]);
	it->cue_fd = cue[1];
	if (it->child < 0) {
		fail(it, "fork: %s", strerror(errno));
		return;
	}
	it->r->child = it->child;
	it->opener = it->opaque ? 0 : it->child;
	it->pidfd = (int)syscall(SYS_pidfd_open, it->child, 0);
	if (it->pidfd < 0)
		fail(it, "pidfd_open: %s", strerror(errno));
}

static bool child_exited(struct iter *it)
{
	struct pollfd p = { .fd = it->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void release_hold(struct iter *it, enum hold_why why)
{
	char reply[128];

	if (it->hold_released)
		return;
	it->hold_released = true;
	if (it->cfg->lagfs.hold == LAGFS_NO_HOLD)
		return; /* nothing held: nothing to say or do */
	it->r->t_hold_released = lag_now_ns();
	it->r->hold_why = (uint8_t)why;
	if (lagfs_proc_control(it->lp, "release", reply, sizeof(reply)) < 0)
		fail(it, "control: %s", reply);
}

/* The workload (an opaque engine's) ended before the kill: its status
 * (not reaped yet) and what to change. */
static void workload_ended(struct iter *it, const char *before,
			   const char *hint)
{
	siginfo_t si = { .si_pid = 0 };

	const char *sig = NULL;
	char also[32] = "";

	if (waitid(P_PID, (id_t)it->child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == it->child && si.si_code == CLD_EXITED) {
		/* the command engine gives a signal's end as a shell does */
		if (si.si_status > 128)
			sig = sigabbrev_np(si.si_status - 128);
		if (sig)
			snprintf(also, sizeof(also), " (SIG%s)", sig);
		fail(it, "the workload exited with status %d%s before %s: %s",
		     si.si_status, also, before, hint);
	}
	else if (si.si_pid == it->child)
		fail(it, "the workload was killed by SIG%s before %s: %s",
		     sigabbrev_np(si.si_status), before, hint);
	else
		fail(it, "the workload ended before %s: %s", before, hint);
}

#define NO_PARK_HINT "does a hold rule match what the workload does?"

/*
 * Read lagfs's events until seen(it) gives the time of what the child was
 * to do: that time, or 0 after failing with "the child exited before
 * <exited>" or "the child's <late> lagfs".
 */
static uint64_t await_child(struct iter *it, uint64_t (*seen)(struct iter *),
			    const char *exited, const char *late)
{
	uint64_t wait = it->opaque && it->cfg->limit_ns > ARRIVAL_TIMEOUT_NS ?
			it->cfg->limit_ns : ARRIVAL_TIMEOUT_NS;
	uint64_t deadline = lag_now_ns() + wait, t;

	while (!(t = seen(it))) {
		if (child_exited(it) && it->opaque) {
			workload_ended(it, "lagfs parked a request",
				       "no request was parked: " NO_PARK_HINT);
			return 0;
		}
		if (child_exited(it)) {
			fail(it, "the child exited before %s", exited);
			return 0;
		}
		if (pump(it, lag_now_ns() + 10 * MS) < 0 ||
		    lag_now_ns() > deadline) {
			if (it->opaque && it->lp->events)
				fail(it, "lagfs parked no request of the "
				     "workload in %.1fs (more: --limit): "
				     NO_PARK_HINT, (double)wait / 1e9);
			else
				fail(it, "the child's %s lagfs", late);
			return 0;
		}
	}
	return t;
}

/* --kill-after, --kill-at: the moment after the fork, else 0. */
static uint64_t kill_moment(struct iter *it)
{
	const struct race_cfg *c = it->cfg;
	uint64_t span = c->kill_at_max_ns - c->kill_at_min_ns;

	if (c->kill_after_ns)
		return c->kill_after_ns;
	if (!c->kill_at)
		return 0;
	/* rand_r gives 31 bits: two of them for spans beyond 2 s */
	return c->kill_at_min_ns +
	       (span ? (((uint64_t)rand_r(&it->env->seed) << 31) ^
			(uint64_t)rand_r(&it->env->seed)) % (span + 1) : 0);
}

/* Until t_fork + after, reading lagfs's events; failing if the workload
 * ends first or lagfs is gone. */
static void wait_until_kill(struct iter *it, uint64_t after)
{
	uint64_t until = it->r->t_fork + after;
	char before[64];

	while (lag_now_ns() < until) {
		if (child_exited(it)) {
			snprintf(before, sizeof(before), "the kill %.3f ms "
				 "after its start", (double)after / 1e6);
			workload_ended(it, before, "kill it sooner "
				       "(--kill-after, --kill-at)");
			return;
		}
		uint64_t tick = lag_now_ns() + 10 * MS;

		if (pump(it, tick < until ? tick : until) < 0) {
			fail(it, "lagfs's events ended before the kill");
			return;
		}
	}
	it->r->t_io = arrived(it); /* if it came: for the timeline */
}

/* A signals_ready engine's byte: the race is set (its time), or 0. */
static uint64_t ready(struct iter *it)
{
	char c;

	if (!it->r->t_ready && recv(it->cue_fd, &c, 1, MSG_DONTWAIT) == 1)
		it->r->t_ready = lag_now_ns();
	return it->r->t_ready;
}

/* Until the engine's byte, reading lagfs's events meanwhile (there are
 * none without lagfs). */
static void await_ready(struct iter *it)
{
	uint64_t deadline = lag_now_ns() + ARRIVAL_TIMEOUT_NS;

	while (!ready(it)) {
		struct pollfd p[3] = {
			{ .fd = it->cue_fd, .events = POLLIN },
			{ .fd = it->pidfd, .events = POLLIN },
			{ .fd = it->lp->events ? event_stream_fd(it->lp->events)
					       : -1, .events = POLLIN },
		};

		if (lag_now_ns() > deadline) {
			fail(it, "the child did not say it was ready in time");
			return;
		}
		if (poll(p, 3, 10) < 0 && errno != EINTR) {
			fail(it, "poll: %s", strerror(errno));
			return;
		}
		if (p[2].revents)
			pump(it, 0);
		if (!p[0].revents && p[1].revents) {
			fail(it, "the child exited before it was ready");
			return;
		}
	}
	it->r->t_io = it->r->t_ready;
}

static void wait_arrival(struct iter *it)
{
	uint64_t after;

	if (engines[it->cfg->engine]->signals_ready) {
		await_ready(it);
		return;
	}
	after = kill_moment(it);
	if (after) {
		wait_until_kill(it, after);
		return;
	}
	it->r->t_io = await_child(it, arrived, "its IO arrived",
				  "IO did not reach");
	if (it->r->error)
		return;
	if (it->cfg->kill_jitter_ns) {
		uint64_t until = lag_now_ns() +
				 (uint64_t)rand_r(&it->env->seed) %
					 it->cfg->kill_jitter_ns;

		while (lag_now_ns() < until && pump(it, until) >= 0)
			;
	}
}

static uint64_t closed(struct iter *it)
{
	return verdict_child_closed(it->ev, it->n, it->child);
}

/*
 * The child shares its file table with its io-wq workers; whichever exits
 * last closes the descriptors. If a worker does, after the request's own
 * reference is gone, the last fput is a worker's and comes before the
 * reap (a few per cent of exit-punt runs). With the files closed while
 * the IO is in flight, the request holds the last reference.
 */
static void close_in_flight(struct iter *it)
{
	it->r->t_cue = lag_now_ns();
	if (send(it->cue_fd, "c", 1, MSG_NOSIGNAL) != 1) {
		fail(it, "cue to the child: %s", strerror(errno));
		return;
	}
	it->r->t_closed = await_child(it, closed, "closing its files",
				      "close did not reach");
}

static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return small_file_read(path, buf, cap);
}

/*
 * Has the killed child reached the point where it waits for its io-wq
 * workers on its way out? do_exit() calls io_uring_files_cancel() before
 * it sets PF_EXITING, and the main thread then sleeps uninterruptibly in
 * io_uring code (io_wq_put_and_exit on 6.18). A request completed from
 * then on is a dying task's.
 */
static bool child_exiting(pid_t pid)
{
	struct proc_stat ps;
	char wchan[128];

	if (proc_stat_read(pid, &ps) < 0)
		return errno == ENOENT; /* gone */
	if (ps.state == 'Z' || (ps.flags & PROC_PF_EXITING))
		return true;
	return ps.state == 'D' && read_proc(pid, "wchan", wchan,
					    sizeof(wchan)) > 0 &&
	       !strncmp(wchan, "io_", 3);
}

/* The kill did not end the workload within --limit: who is left, where. */
static void stuck(struct iter *it)
{
	char who[384];
	struct workload one = { .pid = it->child }; /* the child alone */
	unsigned n = workload_stuck(it->opaque ? &it->wl : &one, who,
				    sizeof(who));

	fail(it, "%u process(es) of the workload still there %.1fs (--limit) "
	     "after the kill: %s", n, (double)it->cfg->limit_ns / 1e9,
	     n ? who : "(gone meanwhile)");
}

static void kill_and_reap(struct iter *it)
{
	struct iter_result *r = it->r;
	uint64_t hold_deadline;
	int status;

	r->t_kill = lag_now_ns();
	if ((it->opaque ? workload_kill(&it->wl) : kill(it->child, SIGKILL)) < 0) {
		fail(it, "kill: %s", strerror(errno));
		return;
	}
	hold_deadline = r->t_kill + it->cfg->reap_wait_ns;
	while (!child_exited(it)) {
		if (lag_now_ns() > r->t_kill + it->cfg->limit_ns) {
			stuck(it);
			return;
		}
		struct pollfd p[2] = {
			{ .fd = it->pidfd, .events = POLLIN },
			{ .fd = it->lp->events ? event_stream_fd(it->lp->events)
					       : -1, .events = POLLIN },
		};

		struct timespec tick = { .tv_nsec = 100000 };

		if (it->cfg->lagfs.hold == LAGFS_HOLD_KEEP && !it->hold_released &&
		    interrupted(it) && child_exiting(it->child))
			release_hold(it, HOLD_CHILD_EXITING);
		/* A reap that waits for a held reply (aio's exit, sync
		 * direct IO) would wait for ever: let the hold go. */
		if (lag_now_ns() > hold_deadline && !it->hold_released) {
			r->reap_blocked = true;
			release_hold(it, HOLD_REAP_BLOCKED);
		}
		if (ppoll(p, 2, &tick, NULL) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			pump(it, 0);
	}
	while (waitpid(it->child, &status, 0) < 0 && errno == EINTR)
		;
	it->reaped = true;
	if (it->opaque)
		workload_reap_rest(&it->wl);
	r->t_reap = lag_now_ns();
	r->child_status = status;
	/* Still referenced now that the child is gone? MNT_EXPIRE asks
	 * without unmounting (fusermount3 offers no such question). */
	if (!it->cfg->fusermount) {
		r->t_probe_reap = lag_now_ns();
		r->busy_at_reap = umount2(it->env->mnt, MNT_EXPIRE) < 0 &&
				  errno == EBUSY;
	}
}

/* A real unmount (flags 0 or MNT_DETACH): 0 or an errno. */
static int unmount(struct iter *it, int flags)
{
	if (it->env->shared) {
		/* Never unmount someone else's lagfs: MNT_EXPIRE only asks. */
		if (umount2(it->env->mnt, MNT_EXPIRE) == 0)
			return 0;
		return errno == EAGAIN ? 0 : errno;
	}
	if (it->cfg->fusermount) {
		const char *lazy[] = { "fusermount3", "-u", "-z", it->env->mnt,
				       NULL };
		const char *plain[] = { "fusermount3", "-u", it->env->mnt, NULL };
		const char **argv = flags ? lazy : plain;
		int st, pfd[2];
		char out[256] = "";
		ssize_t n;
		pid_t pid;

		if (pipe(pfd) < 0)
			return errno;
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], 2);
			execvp(argv[0], (char *const *)argv);
			_exit(127);
		}
		close(pfd[1]);
		n = read(pfd[0], out, sizeof(out) - 1);
		close(pfd[0]);
		out[n > 0 ? n : 0] = '\0';
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return 0;
		return strstr(out, "busy") ? EBUSY : EIO;
	}
	return umount2(it->env->mnt, flags) == 0 ? 0 : errno;
}

/* Is the mount free now? MNT_EXPIRE answers without unmounting. */
static bool probe_free(struct iter *it)
{
	if (it->cfg->fusermount)
		return all_released(it); /* no probe without privilege */
	return umount2(it->env->mnt, MNT_EXPIRE) < 0 && errno == EAGAIN;
}

static bool other_fs(const struct iter *it)
{
	return it->cfg->fs != FS_LAGFS;
}

static void busy_phase(struct iter *it)
{
	struct iter_result *r = it->r;
	uint64_t deadline = r->t_umount1 + it->cfg->limit_ns;
	uint64_t hold_until = r->t_umount1 + it->cfg->hold_ns;

	while (lag_now_ns() < hold_until && pump(it, hold_until) >= 0)
		;
	release_hold(it, HOLD_AFTER_EBUSY);
	while (lag_now_ns() < deadline) {
		bool released = all_released(it);
		uint64_t tick = it->cfg->mitigate == MIT_RETRY ? RETRY_NS
				: released || other_fs(it) ? PROBE_FAST_NS
				: PROBE_SLOW_NS;
		uint64_t now;

		if (pump(it, lag_now_ns() + tick) < 0)
			break;
		now = lag_now_ns();
		if (it->cfg->mitigate == MIT_RETRY && !r->umount_ok &&
		    r->retries < it->cfg->retry_max) {
			r->retries++;
			if (unmount(it, 0) == 0) {
				r->umount_ok = true;
				r->t_free = r->t_umount_done = now;
				return;
			}
		} else if (!r->t_free && probe_free(it)) {
			r->t_free = now;
		}
		/* lagfs logs the RELEASE after the mount frees: wait for it
		 * a while; another filesystem logs nothing. */
		if (r->t_free && (released || other_fs(it) ||
				  now > r->t_free + 50 * MS))
			return;
	}
}

static void unmount_phase(struct iter *it)
{
	struct iter_result *r = it->r;
	int err;

	if (it->cfg->mitigate == MIT_WAIT_RELEASE) {
		uint64_t deadline = lag_now_ns() + it->cfg->limit_ns;

		release_hold(it, HOLD_WAIT_RELEASE);
		while (!all_released(it) && lag_now_ns() < deadline &&
		       pump(it, deadline) >= 0)
			;
	}
	/* Timed at the call: a successful unmount of FUSE takes a while. */
	r->t_umount1 = lag_now_ns();
	err = unmount(it, it->cfg->mitigate == MIT_LAZY ? MNT_DETACH : 0);
	r->umount1_errno = err;
	r->ebusy = err == EBUSY;
	if (!err) {
		r->umount_ok = true;
		r->t_umount_done = r->t_umount1;
		if (it->cfg->mitigate == MIT_LAZY) {
			uint64_t deadline = lag_now_ns() + it->cfg->limit_ns;

			release_hold(it, HOLD_LAZY);
			while (!all_released(it) && lag_now_ns() < deadline &&
			       pump(it, deadline) >= 0)
				;
		}
		return;
	}
	if (err != EBUSY) {
		fail(it, "umount: %s", strerror(err));
		return;
	}
	busy_phase(it);
	if (!r->umount_ok && !it->env->shared) {
		err = unmount(it, 0);
		if (err) {
			fail(it, "the mount stayed busy: %s", strerror(err));
			unmount(it, MNT_DETACH);
		} else {
			r->umount_ok = true;
		}
		r->t_umount_done = lag_now_ns();
	}
}

/* Unmounted, lagfs ends the session (its last events: the child's late
 * releases, unreleased opens) and mounts again: "start". */
static void finish_lagfs(struct iter *it)
{
	uint64_t deadline = lag_now_ns() + EXIT_TIMEOUT_NS;
	int r;

	if (it->env->shared) {
		while (pump(it, 0) == 1)
			;
		return;
	}
	it->env->mounted = false;
	if (other_fs(it))
		return;
	if (!it->r->umount_ok) {
		lagfs_proc_stop(it->lp);
		return;
	}
	while ((r = pump(it, deadline)) == 1) {
		if (it->ev[it->n - 1].kind == LAG_EV_START) {
			it->n--; /* the next iteration's */
			it->env->mounted = true;
			return;
		}
	}
	fail(it, "lagfs did not mount again after the unmount");
	lagfs_proc_stop(it->lp);
}

void iteration_cleanup(struct lane_env *env)
{
	if (env->cfg->fs != FS_LAGFS && env->mounted)
		umount2(env->mnt, MNT_DETACH);
	if (!env->shared)
		lagfs_proc_stop(&env->proc);
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void cpu_so_far(struct iter *it, struct iter_result *r)
{
	struct rusage self, kids;
	struct proc_stat ps;

	if (getrusage(RUSAGE_SELF, &self) == 0 &&
	    getrusage(RUSAGE_CHILDREN, &kids) == 0) {
		r->child_cpu_us = tv_us(kids.ru_utime) + tv_us(kids.ru_stime);
		r->lane_cpu_us = tv_us(self.ru_utime) + tv_us(self.ru_stime) +
				 r->child_cpu_us;
	}
	/* lagfs runs on until the lane ends: ask /proc. */
	if (it->lp->pid > 0 && proc_stat_read(it->lp->pid, &ps) == 0)
		r->lagfs_cpu_us = ps.cpu_us;
}

/* Whether the result keeps an event of this kind: an answer only with
 * its how (lagfs writes none without). */
static bool kept_kind(const struct ev_rec *e)
{
	return iter_ev_kind_ok(e->kind) &&
	       (e->kind != LAG_EV_ANSWER || e->how[0]);
}

static bool opens(const struct ev_rec *e)
{
	return (e->kind == LAG_EV_OPEN || e->kind == LAG_EV_CREATE) &&
	       e->result == 0;
}

/*
 * Which of the child's opens to keep in the result (at most
 * ITER_MAX_FILES): first those still open at the kill (they decide the
 * verdict), then the latest of the others. keep[i] is set for the i-th
 * child open; returns how many opens the child made.
 */
static size_t pick_files(struct iter *it, bool *keep, size_t cap)
{
	size_t n = 0, kept = 0;
	uint64_t kill = it->r->t_kill;

	for (int pass = 0; pass < 2; pass++) {
		size_t k = 0;

		for (size_t i = it->n; i-- > 0;) {
			const struct ev_rec *e = &it->ev[i];
			const struct ev_rec *rel = NULL;
			bool matters;

			if (!opens(e) || !mine(it, e))
				continue;
			for (size_t j = i + 1; j < it->n && !rel; j++)
				if (it->ev[j].fh == e->fh &&
				    (it->ev[j].kind == LAG_EV_RELEASE ||
				     opens(&it->ev[j])))
					rel = &it->ev[j];
			matters = !kill || !rel || rel->t_ns > kill ||
				  opens(rel);
			if (pass == 0)
				n++;
			/* k counts from the last open backwards */
			if (k < cap && !keep[k] && kept < ITER_MAX_FILES &&
			    (pass == 1 || matters)) {
				keep[k] = true;
				kept++;
			}
			k++;
		}
	}
	return n;
}

/* The kept file each open fh is (-1: not kept), while it is open. */
struct fh_map {
	struct { uint64_t fh; int file; bool on; } act[64];
	size_t n;
};

/* fh's entry, or m->n. */
static size_t fh_find(const struct fh_map *m, uint64_t fh)
{
	size_t a;

	for (a = 0; a < m->n; a++)
		if (m->act[a].on && m->act[a].fh == fh)
			break;
	return a;
}

static void fh_add(struct fh_map *m, uint64_t fh, int file)
{
	size_t a;

	for (a = 0; a < m->n && m->act[a].on; a++)
		;
	if (a == m->n && m->n < ARRAY_SIZE(m->act))
		m->n++;
	if (a < m->n)
		m->act[a] = (typeof(m->act[0])){ fh, file, true };
}

/* The child's open number open_no (of n_opens): its index in r->files
 * if pick_files() keeps it and there is room, else -1. */
static int keep_file(struct iter_result *r, const bool *keep, size_t n_opens,
		     size_t open_no, const char *path)
{
	/* keep[] counts from the last open */
	size_t back = n_opens - 1 - open_no;

	if (back >= 256 || !keep[back] || r->n_files >= ITER_MAX_FILES)
		return -1;
	snprintf(r->files[r->n_files], ITER_PATH_LEN, "%s", path);
	return r->n_files++;
}

static struct iter_ev iter_ev_of(const struct ev_rec *e, int file)
{
	struct iter_ev v = {
		.t_ns = e->t_ns, .pid = (int32_t)e->pid,
		.result = (int32_t)e->result, .kind = (uint8_t)e->kind,
		.file = (uint8_t)file, .hold = (uint8_t)(e->hold != 0),
	};

	snprintf(v.op, sizeof(v.op), "%s", e->op);
	snprintf(v.how, sizeof(v.how), "%s", e->how);
	return v;
}

/* ev[0 .. total) (and their request ids) into r->ev; too many (deep
 * queues): the first and the last half, where the opens and the releases
 * are. */
static void keep_ends(struct iter_result *r, const struct iter_ev *ev,
		      const uint32_t *unique, size_t total)
{
	for (size_t i = 0; i < total; i++) {
		size_t j = total <= ITER_MAX_EV || i < ITER_MAX_EV / 2 ? i
			   : i >= total - ITER_MAX_EV / 2 ? i - (total - ITER_MAX_EV)
			   : SIZE_MAX;

		if (j == SIZE_MAX) {
			r->ev_dropped++;
		} else {
			r->ev_unique[r->n_ev] = unique[i];
			r->ev[r->n_ev++] = ev[i];
		}
	}
}

/* The events of the child's kept files into r->ev, in time order. */
static void keep_child_events(struct iter *it)
{
	struct iter_result *r = it->r;
	bool keep[256] = { false };
	size_t n_opens = pick_files(it, keep, 256), open_no = 0, total = 0;
	struct iter_ev *tmp = calloc(it->n ? it->n : 1, sizeof(*tmp));
	uint32_t *uq = calloc(it->n ? it->n : 1, sizeof(*uq));
	struct fh_map m = { .n = 0 };

	r->n_files = 0;
	r->n_ev = r->ev_dropped = 0;
	for (size_t i = 0; tmp && uq && i < it->n; i++) {
		const struct ev_rec *e = &it->ev[i];
		size_t a = fh_find(&m, e->fh);
		int file;

		if (opens(e)) {
			if (a < m.n)
				m.act[a].on = false;  /* the fh was reused */
			if (!mine(it, e))
				continue;
			file = keep_file(r, keep, n_opens, open_no++, e->path);
			fh_add(&m, e->fh, file);
		} else if (a < m.n) {
			file = m.act[a].file;
			if (e->kind == LAG_EV_RELEASE ||
			    e->kind == LAG_EV_UNRELEASED)
				m.act[a].on = false;
		} else {
			continue;
		}
		if (!kept_kind(e))
			continue;
		if (file < 0) {
			r->ev_dropped++;
		} else {
			uq[total] = (uint32_t)e->unique;
			tmp[total++] = iter_ev_of(e, file);
		}
	}
	keep_ends(r, tmp, uq, total);
	free(tmp);
	free(uq);
}

static void judge(struct iter *it)
{
	struct iter_result *r = it->r;
	struct verdict v = current(it);
	struct verdict_obs o;
	enum verdict_class c;
	char why[sizeof(r->err)];
	bool cause;

	r->t_open = v.t_first_open;
	if (other_fs(it)) {
		/* No events: the kernel's word is all. Busy after the reap
		 * and free later, with nothing of lagrace's in between: the
		 * child's file was let go after the reap. */
		v.late_release = r->busy_at_reap && r->t_free;
		v.released_after = v.late_release;
		v.lateness_ns = v.late_release ? r->t_free - r->t_reap : 0;
	}
	r->t_release = v.t_last_release;
	r->child_opens = v.child_opens;
	r->releases_after_reap = v.released_after;
	r->fusermount = it->cfg->fusermount;
	r->workload = it->opaque;
	if (it->cfg->fusermount)
		r->busy_at_reap = r->ebusy;
	o = (struct verdict_obs){ .busy_at_reap = r->busy_at_reap,
				  .ebusy = r->ebusy };
	c = verdict_classify(&v, &o, &cause, why, sizeof(why));
	r->late_release = cause;
	if (r->error) {
		c = VC_ERROR;
	} else if (c == VC_ERROR) {
		r->error = ITER_UNPROVEN; /* it ran: the lane goes on */
		snprintf(r->err, sizeof(r->err), "%s", why);
	}
	r->vclass = (uint8_t)c;
	keep_child_events(it);
	r->lateness_ns = v.lateness_ns; /* also when not late: for the report */
	r->interrupts = v.interrupts;
	r->t_interrupt = v.t_first_interrupt;
	r->t_io_done = v.t_io_done;
	r->io_pid = v.io_pid;
	r->lagfs_lost_release = v.never_released > 0;
	snprintf(r->io_how, sizeof(r->io_how), "%s", v.io_how);
	if (r->ebusy && r->t_free)
		r->busy_ns = r->t_free - r->t_umount1;
}

/*
 * If lagfs itself died, that is the story, whatever step noticed it. Its
 * log ends as it closes its descriptors, a moment before it is a zombie:
 * give it that moment.
 */
static void blame_dead_lagfs(struct iter *it)
{
	struct lagfs_proc *lp = it->lp;
	struct iter_result *r = it->r;
	uint64_t until = lag_now_ns() + 200 * MS;
	int st = lp->status;

	if (it->env->shared)
		return;
	while (!lp->died && lp->pid > 0) {
		struct timespec tick = { .tv_nsec = 1000000 };

		if (waitpid(lp->pid, &st, WNOHANG) == lp->pid) {
			lp->died = true;
			lp->pid = 0;
			break;
		}
		if (lag_now_ns() > until)
			return;
		nanosleep(&tick, NULL);
	}
	if (!lp->died)
		return;
	lp->died = false;
	it->env->mounted = false;
	r->error = 1;
	if (WIFSIGNALED(st))
		snprintf(r->err, sizeof(r->err), "lagfs died: killed by "
			 "SIG%s", sigabbrev_np(WTERMSIG(st)));
	else
		snprintf(r->err, sizeof(r->err), "lagfs died: exited with "
			 "status %d", WEXITSTATUS(st));
}

/*
 * The kernel's fuse events name a mount's connection by its device number
 * (fc->dev, the superblock's s_dev, in the kernel's encoding: major << 20
 * | minor), which statx() of the mount's root gives us; without syncing,
 * so that it costs no GETATTR round trip to lagfs.
 */
static void note_connection(struct iter *it)
{
	struct statx stx;

	if (statx(AT_FDCWD, it->env->mnt, AT_STATX_DONT_SYNC, 0, &stx) == 0)
		it->r->fuse_conn = stx.stx_dev_major << 20 | stx.stx_dev_minor;
}

int iteration_run(struct lane_env *env, unsigned index, struct iter_result *r)
{
	struct iter it = { .env = env, .cfg = env->cfg, .r = r, .pidfd = -1,
			   .cue_fd = -1 };
	char err[sizeof(r->err)];

	memset(r, 0, sizeof(*r));
	r->lane = env->lane;
	r->index = index;
	r->t_start = lag_now_ns();
	it.lp = &env->proc;
	it.opaque = engines[env->cfg->engine]->opaque;
	r->fs = (uint8_t)env->cfg->fs;
	if (it.opaque && !env->shared) {
		/* a fresh backing directory, under a lagfs of its own */
		lagfs_proc_stop(it.lp);
		env->mounted = false;
		if (workload_fresh_dir(env->back, env->cfg->populate, err,
				       sizeof(err)) < 0) {
			fail(&it, "%s", err);
			r->not_run = true;
			return -1;
		}
	}
	if (!env->shared && !env->mounted && env->cfg->fs != FS_LAGFS) {
		if (other_fs_mount(env, err, sizeof(err)) < 0) {
			fail(&it, "%s", err);
			r->not_run = true;
			return -1;
		}
		env->mounted = true;
	} else if (!env->shared && !env->mounted) {
		lagfs_proc_stop(it.lp);
		if (lagfs_proc_start(it.lp, env->cfg->lagfs_bin, env->back,
				     env->mnt, env->sock, env->cfg->rules,
				     env->cfg->lagfs.options, env->errlog, err,
				     sizeof(err)) < 0) {
			fail(&it, "%s", err);
			r->not_run = true;
			return -1;
		}
		env->mounted = true;
	}
	r->t_mounted = lag_now_ns();
	r->keeper = (uint8_t)engines[env->cfg->engine]->keeper;
	if (env->cfg->traced && env->cfg->fs == FS_LAGFS)
		note_connection(&it);
	start_child(&it);
	if (!r->error)
		wait_arrival(&it);
	if (!r->error && env->cfg->eo.close_in_flight)
		close_in_flight(&it);
	if (it.child > 0 && !r->t_reap) {
		kill_and_reap(&it);
	}
	if (!r->error)
		unmount_phase(&it);
	if (r->error)
		blame_dead_lagfs(&it);
	if (r->error && !r->umount_ok && !env->shared) {
		/* Whatever went wrong, leave no mount behind. */
		release_hold(&it, HOLD_CLEANUP);
		if (unmount(&it, 0) && unmount(&it, MNT_DETACH))
			lagfs_proc_kill(it.lp);
	}
	finish_lagfs(&it);
	/* finish_lagfs may have stopped a lagfs that had died: say so */
	if (r->error && strncmp(r->err, "lagfs died", 10))
		blame_dead_lagfs(&it);
	/* A workload stuck at the kill: lagfs is gone now, and with it what
	 * lagfs held; give it --limit again, else leave it to init. */
	if (it.child > 0 && !it.reaped && it.pidfd >= 0) {
		struct pollfd p = { .fd = it.pidfd, .events = POLLIN };

		if (poll(&p, 1, (int)(env->cfg->limit_ns / MS)) == 1) {
			while (waitpid(it.child, NULL, 0) < 0 && errno == EINTR)
				;
			if (it.opaque)
				workload_reap_rest(&it.wl);
		}
	}
	judge(&it);
	r->t_end = lag_now_ns();
	cpu_so_far(&it, r);
	if (it.pidfd >= 0)
		close(it.pidfd);
	if (it.cue_fd >= 0)
		close(it.cue_fd);
	free(it.ev);
	return r->error && r->error != ITER_UNPROVEN ? -1 : 0;
}
