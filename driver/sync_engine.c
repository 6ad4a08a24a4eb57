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

static void sync_loop(const struct engine_opts *o, const int *fds, void *buf)
{
	for (unsigned long k = 0;; k++) {
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
}

static int sync_run(const struct engine_opts *o)
{
	int *fds = engine_open_files(o, "sync engine");
	void *buf = fds ? engine_buffer(o) : NULL;

	if (buf)
		sync_loop(o, fds, buf);
	free(buf);
	engine_close_files(o, fds);
	return 1;
}

const struct engine_ops engine_sync = {
	.help = "pread/pwrite, one IO at a time (qd ignored)",
	.run = sync_run,
};
