/*
 * umount_probe [expire|detach] DIR: call umount2(DIR, 0 | MNT_EXPIRE |
 * MNT_DETACH) once and print "ok" or the errno name (EBUSY, EAGAIN, ...).
 * MNT_EXPIRE never unmounts on its first call: it answers EBUSY while the
 * mount is in use and EAGAIN once it is free.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	int flags = 0;
	const char *dir = argv[argc - 1];

	if (argc == 3 && !strcmp(argv[1], "expire"))
		flags = MNT_EXPIRE;
	else if (argc == 3 && !strcmp(argv[1], "detach"))
		flags = MNT_DETACH;
	else if (argc != 2) {
		fprintf(stderr, "usage: umount_probe [expire|detach] DIR\n");
		return 2;
	}
	if (umount2(dir, flags) < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}
