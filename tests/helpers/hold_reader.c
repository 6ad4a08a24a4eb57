/*
 * hold_reader FILE: read FILE once and print how the read ended: "read N"
 * or "error NAME". SIGUSR1 interrupts the read (no SA_RESTART), so a held
 * FUSE read shows what the filesystem answered to the interrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hold_reader FILE\n");
		return 2;
	}
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("hold_reader: sigaction");
		return 1;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "hold_reader: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		printf("error %s\n", strerrorname_np(errno));
	else
		printf("read %zd\n", n);
	close(fd);
	return 0;
}
