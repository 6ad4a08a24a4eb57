/*
 * uring_read FILE [direct] [async]: open FILE (O_DIRECT with "direct"),
 * submit one 4 KiB io_uring read (IOSQE_ASYNC with "async"), print
 * "submitted" once io_uring_submit() returned, then wait for the completion
 * and print "done RES". Killed while waiting, it leaves the read in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int direct = 0, async = 0, fd, res;
	void *buf;

	if (argc < 2) {
		fprintf(stderr, "usage: uring_read FILE [direct] [async]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		direct |= !strcmp(argv[i], "direct");
		async |= !strcmp(argv[i], "async");
	}
	fd = open(argv[1], O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		fprintf(stderr, "uring_read: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, 4096, 4096))
		return 1;
	res = io_uring_queue_init(4, &ring, 0);
	if (res < 0) {
		fprintf(stderr, "uring_read: io_uring_queue_init: %s\n", strerror(-res));
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	if (async)
		sqe->flags |= IOSQE_ASYNC;
	res = io_uring_submit(&ring);
	if (res != 1) {
		fprintf(stderr, "uring_read: submit: %s\n", strerror(-res));
		return 1;
	}
	printf("submitted\n");
	fflush(stdout);
	res = io_uring_wait_cqe(&ring, &cqe);
	if (res < 0) {
		fprintf(stderr, "uring_read: wait: %s\n", strerror(-res));
		return 1;
	}
	printf("done %d\n", cqe->res);
	return 0;
}
