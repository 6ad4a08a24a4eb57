#include "lagfs_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setup_hint.h"

#define LOG_FD 3
#define START_TIMEOUT_NS (10ull * 1000000000ull)

static void exec_lagfs(const char *bin, const char *back, const char *mnt,
		       const char *sock, const char *const *rules,
		       const char *fuse_opts, const char *stderr_path,
		       int log_fd, pid_t lane)
{
	const char *argv[64];
	char fd_arg[16];
	int n = 0, efd;

	/* lagfs must not outlive the lane that started it. SIGTERM, not
	 * SIGKILL: lagfs then unmounts, so a mount in the host's namespace
	 * (--no-namespace, --fusermount) does not stay behind, dead. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != lane)
		_exit(127);
	signal(SIGPIPE, SIG_DFL); /* the lane ignores it; lagfs need not */
	efd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (efd >= 0)
		dup2(efd, STDERR_FILENO);
	if (dup2(log_fd, LOG_FD) < 0)
		_exit(127);
	snprintf(fd_arg, sizeof(fd_arg), "%d", LOG_FD);
	argv[n++] = bin;
	argv[n++] = "-f";
	argv[n++] = "-s"; /* its handlers never block: one thread serves */
	argv[n++] = "--remount"; /* one lagfs serves all of a lane's mounts */
	if (fuse_opts) {
		argv[n++] = "-o";
		argv[n++] = fuse_opts;
	}
	argv[n++] = "--log-fd";
	argv[n++] = fd_arg;
	argv[n++] = "--control";
	argv[n++] = sock;
	for (; *rules && n < 58; rules++) {
		argv[n++] = "--rule";
		argv[n++] = *rules;
	}
	argv[n++] = back;
	argv[n++] = mnt;
	argv[n] = NULL;
	execv(bin, (char *const *)argv);
	fprintf(stderr, "lagrace: exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* What lagfs said on stderr: its lines joined with "; " (libfuse's reason
 * comes before lagfs's own line), or "" if nothing. */
static void said_by(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t len = 0;

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && len + 1 < cap) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			len += (size_t)snprintf(out + len, cap - len, "%s%s",
						len ? "; " : "", line);
	}
	fclose(f);
}

/* lagfs closed its end of the log: it is exiting. Its status, if it exits
 * within a second (else it is killed, and the status is -1). */
static int exit_status_of(struct lagfs_proc *p)
{
	int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0), st = -1;

	if (pidfd >= 0) {
		struct pollfd pf = { .fd = pidfd, .events = POLLIN };

		while (poll(&pf, 1, 1000) < 0 && errno == EINTR)
			;
		close(pidfd);
	}
	if (waitpid(p->pid, &st, WNOHANG) == p->pid)
		p->pid = 0;
	else
		st = -1;
	return st;
}

/*
 * Why lagfs did not start, in one line: how it ended, what it said, and
 * what would fix it where that is known ("/dev/fuse is mode 0600 ...").
 */
static void why_not_started(struct lagfs_proc *p, const char *bin,
			    const char *stderr_path, bool timed_out,
			    char *err, size_t errlen)
{
	char said[320], hint[256], how[160], *fix;
	int st = timed_out ? -1 : exit_status_of(p);

	lagfs_proc_kill(p);
	said_by(stderr_path, said, sizeof(said));
	if (timed_out)
		snprintf(how, sizeof(how), "lagfs did not mount within 10 s");
	else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127 &&
		 !strncmp(said, "lagrace: exec", 13))
		snprintf(how, sizeof(how), "lagfs did not start");
	else if (st != -1 && WIFEXITED(st))
		snprintf(how, sizeof(how), "lagfs (%s) exited with status %d "
			 "before mounting", bin, WEXITSTATUS(st));
	else if (st != -1 && WIFSIGNALED(st))
		snprintf(how, sizeof(how), "lagfs (%s) was killed by SIG%s "
			 "before mounting", bin, sigabbrev_np(WTERMSIG(st)));
	else
		snprintf(how, sizeof(how), "lagfs (%s) closed its log without "
			 "mounting", bin);
	setup_hint_fuse("/dev/fuse", "/proc/filesystems", hint, sizeof(hint));
	/* Said once: libfuse's own "try 'modprobe fuse' first" is enough. */
	fix = strstr(hint, "as root, ");
	if (fix && strstr(said, fix + strlen("as root, ")))
		hint[0] = '\0';
	snprintf(err, errlen, "%s%s%s%s%s", how, *said ? ": " : ", and said "
		 "nothing", said, *hint ? "; " : "", hint);
}

int lagfs_proc_start(struct lagfs_proc *p, const char *lagfs_bin,
		     const char *back, const char *mnt, const char *sock,
		     const char *const *rules, const char *fuse_opts,
		     const char *stderr_path, char *err, size_t errlen)
{
	struct lag_event e;
	int pfd[2], r;
	uint64_t deadline;
	pid_t lane = getpid();

	memset(p, 0, sizeof(*p));
	p->mnt = mnt;
	p->sock = sock;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	p->pid = fork();
	if (p->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (p->pid == 0)
		exec_lagfs(lagfs_bin, back, mnt, sock, rules, fuse_opts,
			   stderr_path, pfd[1], lane);
	close(pfd[1]);
	p->events = event_stream_open(pfd[0], false, NULL);
	if (!p->events) {
		close(pfd[0]);
		snprintf(err, errlen, "out of memory");
		lagfs_proc_kill(p);
		return -1;
	}
	deadline = lag_now_ns() + START_TIMEOUT_NS;
	while ((r = event_stream_next(p->events, &e, deadline)) == 1) {
		if (e.kind == LAG_EV_START) {
			p->t_ready_ns = e.t_ns;
			return 0;
		}
	}
	why_not_started(p, lagfs_bin, stderr_path, r == 0, err, errlen);
	return -1;
}

int lagfs_proc_attach(struct lagfs_proc *p, const char *mnt,
		      const char *log_path, const char *sock, char *err,
		      size_t errlen)
{
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);

	memset(p, 0, sizeof(*p));
	p->mnt = mnt;
	p->sock = sock;
	if (fd < 0) {
		snprintf(err, errlen, "log %s: %s", log_path, strerror(errno));
		return -1;
	}
	/* Only what happens from now on matters. */
	if (lseek(fd, 0, SEEK_END) < 0) {
		snprintf(err, errlen, "log %s: %s", log_path, strerror(errno));
		close(fd);
		return -1;
	}
	p->events = event_stream_open(fd, true, log_path);
	if (!p->events) {
		snprintf(err, errlen, "log %s: %s", log_path, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

int lagfs_proc_reap(struct lagfs_proc *p)
{
	int status;

	if (p->pid <= 0)
		return 0;
	while (waitpid(p->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			lagfs_proc_kill(p);
			return -1;
		}
	}
	p->pid = 0;
	return status;
}

void lagfs_proc_stop(struct lagfs_proc *p)
{
	uint64_t deadline = lag_now_ns() + 5000000000ull;
	struct lag_event e;
	int st;

	if (p->pid > 0 && kill(p->pid, SIGTERM) == 0) {
		/* It unmounts and closes its log as it exits. */
		while (p->events && event_stream_next(p->events, &e, deadline) == 1)
			;
		if (lag_now_ns() < deadline) {
			st = lagfs_proc_reap(p);
			/* Killed by anything but our SIGTERM: it died on us. */
			if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM) {
				p->died = true;
				p->status = st;
			}
		}
	}
	lagfs_proc_kill(p);
}

static void control_close(struct lagfs_proc *p)
{
	if (p->ctl_open)
		close(p->ctl_fd);
	p->ctl_open = false;
}

void lagfs_proc_kill(struct lagfs_proc *p)
{
	/* Dead already? Keep why, for the report. */
	if (p->pid > 0 && waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
		p->died = true;
		p->pid = 0;
	}
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
	}
	event_stream_close(p->events);
	p->events = NULL;
	control_close(p);
}

/* A connection to sock, or -1 with why in reply. */
static int control_connect(const char *sock, char *reply, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(reply, cap, "error: control socket %s: name too long",
			 sock);
		return -1;
	}
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(reply, cap, "error: socket: %s", strerror(errno));
		return -1;
	}
	/* A signal (the lane being stopped) must not lose the answer. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		snprintf(reply, cap, "error: control socket %s: %s", sock,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* cmd over fd and its one-line answer: the answer's length, 0 when the
 * connection failed or ended without one (reply then says why). */
static size_t control_exchange(int fd, const char *sock, const char *cmd,
			       char *reply, size_t cap)
{
	size_t len = 0, cmd_len = strlen(cmd);
	char line[512];

	if (cmd_len + 1 >= sizeof(line)) {
		snprintf(reply, cap, "error: control command too long");
		return 0;
	}
	memcpy(line, cmd, cmd_len);
	line[cmd_len++] = '\n';
	/* A connection lagfs dropped must not SIGPIPE us: EPIPE will do. */
	if (send(fd, line, cmd_len, MSG_NOSIGNAL) != (ssize_t)cmd_len) {
		snprintf(reply, cap, "error: control socket %s: %s", sock,
			 strerror(errno));
		return 0;
	}
	while (len + 1 < cap) {
		ssize_t n = read(fd, reply + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(reply, '\n', len))
			break;
	}
	if (!len)
		snprintf(reply, cap, "error: no answer from %s", sock);
	else
		reply[len] = '\0';
	return len;
}

int lagfs_proc_control(struct lagfs_proc *p, const char *cmd, char *reply,
		       size_t cap)
{
	size_t len = 0;

	snprintf(reply, cap, "error: no answer");
	/* A kept connection that lagfs dropped gets one new try. */
	for (int tries = p->ctl_open ? 2 : 1; tries > 0 && !len; tries--) {
		if (!p->ctl_open) {
			p->ctl_fd = control_connect(p->sock, reply, cap);
			if (p->ctl_fd < 0)
				return -1;
			p->ctl_open = true;
		}
		len = control_exchange(p->ctl_fd, p->sock, cmd, reply, cap);
		if (!len)
			control_close(p);
	}
	if (!len)
		return -1;
	reply[strcspn(reply, "\n")] = '\0';
	return strncmp(reply, "ok", 2) == 0 ? 0 : -1;
}

int lagfs_control(const char *sock, const char *cmd, char *reply, size_t cap)
{
	struct lagfs_proc p = { .sock = sock, .ctl_fd = -1 };
	int res = lagfs_proc_control(&p, cmd, reply, cap);

	control_close(&p);
	return res;
}
