/*
 * sync engine: one pread (or pwrite) at a time, sweeping the files
 * round-robin at successive offsets, forever. qd is ignored. A failed IO
 * (EINTR when the filesystem answers an interrupt) is counted, not fatal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

static int sync_run(const struct engine_opts *o)
{
	unsigned long k;
	unsigned nopen = 0;
	int *fds;
	void *buf = NULL;

	fds = calloc(o->nfiles, sizeof(*fds));
	if (!fds) {
		fprintf(stderr, "lagrace: sync engine: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (; nopen < o->nfiles; nopen++) {
		fds[nopen] = engine_open(o, nopen, 0);
		if (fds[nopen] < 0)
			goto out;
	}
	buf = engine_buffer(o);
	if (!buf)
		goto out;

	for (k = 0;; k++) {
		unsigned file;
		off_t offset;
		ssize_t n;

		engine_place(o, k, &file, &offset);
		engine_count(1, 0, 0);
		if (o->write)
			n = pwrite(fds[file], buf, o->bs, offset);
		else
			n = pread(fds[file], buf, o->bs, offset);
		engine_count(0, 1, n < 0);
	}
out:
	free(buf);
	while (nopen)
		close(fds[--nopen]);
	free(fds);
	return 1;
}

const struct engine_ops engine_sync = {
	.help = "pread/pwrite, one IO at a time (qd ignored)",
	.run = sync_run,
};
