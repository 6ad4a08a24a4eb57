/*
 * caller_creds: new files, directories, nodes and symlinks belong to the
 * process that made them, as on a local filesystem.
 *
 * lagfs running as root makes a node with the requesting process's uid,
 * gid and supplementary groups as the calling thread's filesystem
 * credentials (setfsuid, setfsgid and the raw setgroups system call, all
 * three per thread), so the backing filesystem itself picks the owner, the
 * group (the parent's where it is setgid), the setgid bit of a new
 * directory, and whether a setgid bit asked for may stay. Run by any other
 * user, lagfs cannot switch and nothing changes: every node is its own.
 */
#ifndef CALLER_CREDS_H
#define CALLER_CREDS_H

#include <stdbool.h>
#include <sys/types.h>
#include <fuse_lowlevel.h>

/* lagfs's own credentials, to come back to; set once, then only read. */
struct own_creds {
	bool can_switch;        /* euid 0 at start */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t *groups;
};

/* Note lagfs's credentials; -1 with errno if they cannot be read. */
int own_creds_init(struct own_creds *own);
void own_creds_free(struct own_creds *own);

/*
 * Take on req's caller's credentials on this thread: 0 (then call
 * caller_creds_end() on the same thread), or an errno and nothing changed.
 * A caller that is lagfs's own uid and gid needs no switch.
 */
int caller_creds_begin(const struct own_creds *own, fuse_req_t req,
		       bool *switched);

/* Back to lagfs's own; aborts if it cannot (never serve as someone else). */
void caller_creds_end(const struct own_creds *own, bool switched);

#endif
