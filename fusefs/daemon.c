#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's end of the pipe to the parent, and /dev/null opened early so
 * that daemon_ready() cannot fail; -1 when there is nobody to tell. */
static atomic_int ready_fd = -1;
static int null_fd = -1;

/*
 * Until the child's word, ^C or SIGTERM to the command stop the child too
 * (which unmounts): the user sees one lagfs, and it must not hang on.
 * -1 and a message if that cannot be arranged (then the parent only waits).
 */
static int stop_signals_fd(void)
{
	sigset_t stop;
	int sfd;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0 ||
	    (sfd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0) {
		perror("lagfs: waiting for the daemon: signals");
		return -1;
	}
	return sfd;
}

/* The child's word: 1 it serves, 0 it has exited without one. */
static int child_word(pid_t child, int fd, int *forwarded)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = stop_signals_fd(), .events = POLLIN } };
	char ready;

	for (;;) {
		if (poll(p, p[1].fd < 0 ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("lagfs: waiting for the daemon");
			return 0;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(p[1].fd, &si, sizeof(si)) == sizeof(si)) {
				*forwarded = (int)si.ssi_signo;
				if (kill(child, SIGTERM) < 0 && errno != ESRCH)
					perror("lagfs: stopping the daemon");
			}
		}
		if (p[0].revents)
			return read(fd, &ready, 1) == 1;
	}
}

/* The parent: 0 if the child says it serves, else the child's status. */
static void wait_for_child(pid_t child, int fd, void (*undo)(void *),
			   void *arg)
{
	int st, forwarded = 0;

	if (child_word(child, fd, &forwarded))
		_exit(0);
	/* The child closed the pipe without a word: it has exited. */
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "lagfs: waiting for the daemon: %s\n",
				strerror(errno));
			_exit(2);
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		_exit(WEXITSTATUS(st));
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "lagfs: the daemon was killed by signal %d "
			"(%s) while starting\n", WTERMSIG(st),
			strsignal(WTERMSIG(st)));
		undo(arg);
	} else if (forwarded) {
		fprintf(stderr, "lagfs: stopped by %s before it served the "
			"mount\n", strsignal(forwarded));
	} else {
		fprintf(stderr, "lagfs: the daemon exited before it served "
			"the mount\n");
	}
	_exit(2);
}

int daemon_start(bool foreground, void (*undo)(void *arg), void *arg)
{
	int pipefd[2];
	pid_t pid;

	if (foreground)
		return 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("lagfs: daemon: pipe");
		return -1;
	}
	/* Whatever stdio holds would be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("lagfs: daemon: fork");
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid > 0) {
		close(pipefd[1]);
		wait_for_child(pid, pipefd[0], undo, arg);
	}
	close(pipefd[0]);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Out of the terminal's session: its hangup and ^C are not ours. */
	if (null_fd < 0 || setsid() < 0 || chdir("/") < 0) {
		perror("lagfs: daemon");
		close(pipefd[1]);
		return -1;
	}
	atomic_store(&ready_fd, pipefd[1]);
	return 0;
}

void daemon_ready(void)
{
	static const char ready = 1;
	int fd = atomic_exchange(&ready_fd, -1);

	if (fd < 0)
		return;
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(null_fd, STDERR_FILENO) < 0)
		perror("lagfs: daemon: /dev/null"); /* and serve anyway */
	close(null_fd);
	/* If the parent is gone, nobody waits for the word: not an error. */
	if (write(fd, &ready, 1) != 1)
		(void)0;
	close(fd);
}
