/*
 * scm-rights engine: opens the files and sends them with SCM_RIGHTS over a
 * unix datagram socketpair, together with the receiving end itself, and
 * never receives them: the message in the receiving socket's queue holds
 * that socket, a reference cycle only the unix garbage collector frees.
 * It closes every descriptor but the sending end's and waits to be killed.
 * Its exit closes the sending end, which schedules the garbage collector
 * (a work queue); that drops the files, through delayed_fput: after the
 * reap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"

#define SCM_MAX_FILES 64

static int scm_fail(const char *what)
{
	fprintf(stderr, "lagrace: scm-rights engine: %s: %s\n", what,
		strerror(errno));
	return -1;
}

/* fds and the receiving end sv[1], in flight to sv[1]. */
static int scm_send(const int *fds, unsigned n, const int sv[2])
{
	int pass[SCM_MAX_FILES + 1];
	union {
		char buf[CMSG_SPACE(sizeof(pass))];
		struct cmsghdr align;
	} u;
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
		.msg_controllen = CMSG_SPACE((n + 1) * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memcpy(pass, fds, n * sizeof(int));
	pass[n] = sv[1];
	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((n + 1) * sizeof(int));
	memcpy(CMSG_DATA(cm), pass, (n + 1) * sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		return scm_fail("sendmsg SCM_RIGHTS");
	return 0;
}

static int scm_rights_run(const struct engine_opts *o)
{
	int *fds, sv[2];

	if (o->nfiles > SCM_MAX_FILES) {
		fprintf(stderr, "lagrace: scm-rights engine: at most %d "
			"files\n", SCM_MAX_FILES);
		return 2;
	}
	fds = engine_open_files(o, "scm-rights engine");
	if (!fds)
		return 1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		scm_fail("socketpair");
		engine_close_files(o, fds);
		return 1;
	}
	if (scm_send(fds, o->nfiles, sv) < 0) {
		engine_close_files(o, fds);
		return 1;
	}
	engine_close_files(o, fds);
	/* Closing sv[0] now would run the collector before the kill. */
	if (close(sv[1]) < 0)
		scm_fail("close");
	else if (engine_ready(o) == 0)
		engine_await_kill();
	return 1;
}

const struct engine_ops engine_scm_rights = {
	.help = "files sent over a unix socket in a reference cycle, never "
		"received",
	.run = scm_rights_run,
	.signals_ready = true,
	.keeper = KEEPER_SCM_CYCLE,
};
