/*
 * fork_readers N uring|sync: a workload for lagrace -- CMD whose
 * readers are grandchildren in sessions of their own (as fio's jobs are):
 * it forks N children, each calls setsid() and forks a grandchild that
 * opens r<i> (in the working directory) with O_DIRECT and reads 4 KiB of
 * it, with io_uring (uring) or pread (sync), then waits for ever. The
 * processes only end when killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "fork_readers: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reader(unsigned i, int uring)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char name[32];
	void *buf;
	int fd, res;

	snprintf(name, sizeof(name), "r%u", i);
	fd = open(name, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(name);
	if (posix_memalign(&buf, 4096, 4096))
		die("posix_memalign");
	if (!uring) {
		if (pread(fd, buf, 4096, 0) < 0)
			die("pread");
	} else {
		res = io_uring_queue_init(4, &ring, 0);
		if (res < 0) {
			errno = -res;
			die("io_uring_queue_init");
		}
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, 4096, 0);
		res = io_uring_submit(&ring);
		if (res != 1) {
			errno = -res;
			die("io_uring_submit");
		}
		res = io_uring_wait_cqe(&ring, &cqe);
		if (res < 0) {
			errno = -res;
			die("io_uring_wait_cqe");
		}
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned n;

	if (argc != 3 || !(n = (unsigned)atoi(argv[1])) ||
	    (strcmp(argv[2], "uring") && strcmp(argv[2], "sync"))) {
		fprintf(stderr, "usage: fork_readers N uring|sync\n");
		return 2;
	}
	for (unsigned i = 0; i < n; i++) {
		pid_t child = fork();

		if (child < 0)
			die("fork");
		if (child > 0)
			continue;
		if (setsid() < 0)
			die("setsid");
		if (fork() == 0)
			reader(i, !strcmp(argv[2], "uring"));
		for (;;)
			pause();
	}
	for (;;)
		pause();
}
