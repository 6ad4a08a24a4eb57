/*
 * engines: the table of IO engines, lookup by name, and the helpers every
 * engine shares (opening the lane's files, aligned buffers, where each IO
 * goes, the optional counters).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"

const char *const engine_names[ENGINE_N] = {
	[ENGINE_URING] = "uring",
	[ENGINE_AIO] = "aio",
	[ENGINE_SYNC] = "sync",
	[ENGINE_MIXED] = "mixed",
	[ENGINE_FIXED_FILE] = "fixed-file",
	[ENGINE_SCM_RIGHTS] = "scm-rights",
	[ENGINE_COMMAND] = "command",
};

const struct engine_ops *const engines[ENGINE_N] = {
	[ENGINE_URING] = &engine_uring,
	[ENGINE_AIO] = &engine_aio,
	[ENGINE_SYNC] = &engine_sync,
	[ENGINE_MIXED] = &engine_mixed,
	[ENGINE_FIXED_FILE] = &engine_fixed_file,
	[ENGINE_SCM_RIGHTS] = &engine_scm_rights,
	[ENGINE_COMMAND] = &engine_command,
};

/* As the JSON document names them. */
const char *const engine_keeper_names[KEEPER_N] = {
	[KEEPER_NONE] = "none",
	[KEEPER_URING_FIXED] = "io_uring-registered-files",
	[KEEPER_SCM_CYCLE] = "scm-rights-cycle",
};

struct engine_stats *engine_stats;

/* Read-only, or read-write for o->write; O_DIRECT for o->direct; plus
 * extra_flags (O_RDWR, O_DIRECT...). */
int engine_open(const struct engine_opts *o, unsigned i, int extra_flags)
{
	char path[PATH_MAX];
	int flags = (o->write ? O_RDWR : O_RDONLY) | O_CLOEXEC | extra_flags;
	int fd;

	if (o->direct)
		flags |= O_DIRECT;
	if (snprintf(path, sizeof(path), ENGINE_FILE_FMT, o->dir, i) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "lagrace: %s: %s\n", o->dir,
			strerror(ENAMETOOLONG));
		return -1;
	}
	fd = open(path, flags);
	if (fd < 0)
		fprintf(stderr, "lagrace: open %s: %s\n", path, strerror(errno));
	return fd;
}

int *engine_open_files(const struct engine_opts *o, const char *who)
{
	int *fds = calloc(o->nfiles, sizeof(*fds));
	unsigned n;

	if (!fds) {
		fprintf(stderr, "lagrace: %s: %s\n", who, strerror(ENOMEM));
		return NULL;
	}
	for (n = 0; n < o->nfiles; n++) {
		fds[n] = engine_open(o, n, 0);
		if (fds[n] < 0)
			break;
	}
	if (n == o->nfiles)
		return fds;
	while (n)
		close(fds[--n]);
	free(fds);
	return NULL;
}

void engine_close_files(const struct engine_opts *o, int *fds)
{
	for (unsigned n = 0; fds && n < o->nfiles; n++)
		close(fds[n]);
	free(fds);
}

/* Filled with a pattern, so that writes write something defined. */
void *engine_buffer(const struct engine_opts *o)
{
	void *buf;
	int err = posix_memalign(&buf, 4096, o->bs);

	if (err) {
		fprintf(stderr, "lagrace: engine buffer of %zu bytes: %s\n",
			o->bs, strerror(err));
		return NULL;
	}
	memset(buf, 'l', o->bs);
	return buf;
}

int engine_wait_cue(const struct engine_opts *o)
{
	char c;
	ssize_t n;

	while ((n = read(o->cue_fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		fprintf(stderr, "lagrace: engine: waiting for the cue to close "
			"its files: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int engine_ready(const struct engine_opts *o)
{
	if (send(o->cue_fd, "r", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "lagrace: engine: telling lagrace it is ready: "
			"%s\n", strerror(errno));
		return -1;
	}
	return 0;
}

void engine_await_kill(void)
{
	for (;;)
		pause();
}

void engine_place(const struct engine_opts *o, unsigned long k,
		  unsigned *file, off_t *offset)
{
	unsigned long slots = ENGINE_FILE_SIZE / o->bs;

	if (!slots)
		slots = 1;
	*file = k % o->nfiles;
	*offset = (off_t)((k / o->nfiles) % slots * o->bs);
}

void engine_count(unsigned long submitted, unsigned long completed,
		  unsigned long errors)
{
	struct engine_stats *s = engine_stats;

	if (!s)
		return;
	__atomic_add_fetch(&s->submitted, submitted, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->completed, completed, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->errors, errors, __ATOMIC_RELAXED);
}
