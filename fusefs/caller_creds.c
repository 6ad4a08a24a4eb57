#include "caller_creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Supplementary groups read for a caller before asking for more room. */
#define FIRST_GROUPS 32

int own_creds_init(struct own_creds *own)
{
	int n;

	*own = (struct own_creds){ .uid = geteuid(), .gid = getegid() };
	own->can_switch = own->uid == 0;
	if (!own->can_switch)
		return 0;
	n = getgroups(0, NULL);
	if (n < 0)
		return -1;
	own->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (!own->groups)
		return -1;
	n = getgroups(n, own->groups);
	if (n < 0)
		return -1;
	own->ngroups = n;
	return 0;
}

void own_creds_free(struct own_creds *own)
{
	free(own->groups);
	own->groups = NULL;
}

/*
 * glibc's setgroups() changes every thread of the process (it is one of the
 * set*id calls it broadcasts); the system call changes only this one.
 */
static int thread_setgroups(int n, const gid_t *groups)
{
	return (int)syscall(SYS_setgroups, (size_t)n, groups);
}

/* setfsuid() and setfsgid() return the old value, never an error: asking
 * with an invalid id (-1) tells what is in force. */
static bool fs_ids_are(uid_t uid, gid_t gid)
{
	return (uid_t)setfsuid((uid_t)-1) == uid &&
	       (gid_t)setfsgid((gid_t)-1) == gid;
}

/* The caller's supplementary groups, malloc'd; n = 0 if it is gone. */
static gid_t *caller_groups(fuse_req_t req, int *n)
{
	gid_t *list = malloc(FIRST_GROUPS * sizeof(gid_t));
	int got;

	if (!list)
		return NULL;
	got = fuse_req_getgroups(req, FIRST_GROUPS, list);
	if (got > FIRST_GROUPS) {
		gid_t *more = realloc(list, (size_t)got * sizeof(gid_t));

		if (!more) {
			free(list);
			return NULL;
		}
		list = more;
		got = fuse_req_getgroups(req, got, list);
	}
	/* The caller has exited (a parked request outlives it): its own
	 * uid and gid still decide the owner. */
	*n = got < 0 ? 0 : got;
	return list;
}

int caller_creds_begin(const struct own_creds *own, fuse_req_t req,
		       bool *switched)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t *groups;
	int n, err = 0;

	*switched = false;
	if (!own->can_switch || (ctx->uid == own->uid && ctx->gid == own->gid))
		return 0;
	groups = caller_groups(req, &n);
	if (!groups)
		return ENOMEM;
	if (thread_setgroups(n, groups) < 0)
		err = errno;
	free(groups);
	if (err)
		return err;
	*switched = true;
	setfsgid(ctx->gid);
	setfsuid(ctx->uid);
	if (!fs_ids_are(ctx->uid, ctx->gid)) {
		caller_creds_end(own, true);
		*switched = false;
		return EPERM;
	}
	return 0;
}

void caller_creds_end(const struct own_creds *own, bool switched)
{
	if (!switched)
		return;
	/* Back to fsuid 0, the thread has its capabilities again. */
	setfsuid(own->uid);
	setfsgid(own->gid);
	if (!fs_ids_are(own->uid, own->gid) ||
	    thread_setgroups(own->ngroups, own->groups) < 0) {
		fprintf(stderr, "lagfs: cannot return to its own credentials "
			"after serving as another user\n");
		abort();
	}
}
