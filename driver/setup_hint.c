#include "setup_hint.h"
#include "small_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the kernel knows the fuse filesystem (the module is loaded or
 * built in); true when the list cannot be read, to say nothing wrong. */
static bool fuse_known(const char *filesystems)
{
	FILE *f = fopen(filesystems, "r");
	char line[128];
	bool known = false;

	if (!f)
		return true;
	while (!known && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		known = !strcmp(name, "fuse");
	}
	fclose(f);
	return known;
}

void setup_hint_fuse(const char *dev, const char *filesystems, char *out,
		     size_t cap)
{
	struct stat st;
	int fd, err;

	out[0] = '\0';
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return;
	}
	err = errno;
	if (!fuse_known(filesystems)) {
		snprintf(out, cap, "the fuse module is not loaded: as root, "
			 "modprobe fuse");
	} else if (err == ENOENT) {
		snprintf(out, cap, "there is no %s: as root, mknod -m 0666 %s "
			 "c 10 229", dev, dev);
	} else if ((err == EACCES || err == EPERM) && stat(dev, &st) == 0) {
		snprintf(out, cap, "%s is mode %04o, so only its owner may "
			 "open it (distributions ship it 0666): as root, "
			 "chmod 0666 %s", dev, st.st_mode & 07777, dev);
	} else {
		snprintf(out, cap, "cannot open %s: %s", dev, strerror(err));
	}
}

/* The first line of sysctl_dir/name as a number; -1 if unreadable. */
static long sysctl_of(const char *sysctl_dir, const char *name)
{
	char path[512], buf[32];

	snprintf(path, sizeof(path), "%s/%s", sysctl_dir, name);
	if (small_file_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

void setup_hint_userns(int err, const char *sysctl_dir, char *out,
		       size_t cap)
{
	const char *alt = ", or run lagrace with --fusermount";
	long v;

	if (sysctl_of(sysctl_dir, "kernel/unprivileged_userns_clone") == 0) {
		snprintf(out, cap, "unprivileged user namespaces are disabled "
			 "(kernel.unprivileged_userns_clone is 0): as root, "
			 "sysctl -w kernel.unprivileged_userns_clone=1%s", alt);
	} else if ((v = sysctl_of(sysctl_dir, "user/max_user_namespaces")) == 0) {
		snprintf(out, cap, "user namespaces are disabled "
			 "(user.max_user_namespaces is 0): as root, sysctl -w "
			 "user.max_user_namespaces=10000%s", alt);
	} else if (sysctl_of(sysctl_dir,
			     "kernel/apparmor_restrict_unprivileged_userns") == 1) {
		snprintf(out, cap, "AppArmor restricts unprivileged user "
			 "namespaces (kernel.apparmor_restrict_unprivileged_userns "
			 "is 1): as root, sysctl -w "
			 "kernel.apparmor_restrict_unprivileged_userns=0%s", alt);
	} else if (err == ENOSPC) {
		snprintf(out, cap, "too many user namespaces "
			 "(user.max_user_namespaces is %ld)%s", v, alt);
	} else {
		snprintf(out, cap, "are unprivileged user namespaces disabled? "
			 "Try --fusermount");
	}
}
