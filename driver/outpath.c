#include "outpath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outpath_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	/* O_EXCL: never the file of somebody who creates it meanwhile */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0) {
		close(fd);
		if (unlink(path) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST)
		goto fail;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	/* no O_TRUNC: the old file stays as it is until the run ends */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	snprintf(err, errlen, "%s", strerror(errno));
	return -1;
}
