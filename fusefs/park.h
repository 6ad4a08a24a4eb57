/*
 * park: decide, per request, whether a rule delays or holds it, and if so
 * park it in the delay queue and answer it later.
 *
 * Every operation handler in passthrough.c fills a struct lag_call on its
 * stack and hands it to call_dispatch() with the function that really does
 * the work ("serve"). With no matching rule, serve runs at once on the
 * caller's thread and nothing is copied. With a rule, the call is copied to
 * the heap (names and write data too), a "park" event is logged, and serve
 * runs when the delay ends, the hold is released or the kernel interrupts
 * the request. serve logs its result with call_log() and then replies; the
 * caller of serve frees the call.
 */
#ifndef PARK_H
#define PARK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

#include "delay_queue.h"
#include "lagfs.h"

struct lag_call;
typedef void (*lag_serve_fn)(struct lag_call *c);

enum call_state { CALL_NEW, CALL_INTERRUPTED_EARLY, CALL_PARKED, CALL_DONE };

struct lag_call {
	struct dq_item item;       /* first: the queue hands us back this */
	struct lagfs *fs;
	fuse_req_t req;
	uint64_t unique;           /* FUSE request id */
	int64_t pid;               /* from the request, kept for the log */
	uint32_t uid;
	int op;                    /* enum lag_op */
	lag_serve_fn serve;

	/* the request's arguments (which ones depends on op) */
	fuse_ino_t ino, newparent;
	const char *name, *newname, *link;
	struct fuse_file_info fi;
	bool has_fi;
	off_t off;
	size_t size;
	mode_t mode;
	dev_t rdev;
	int flags;
	int to_set;
	struct stat attr;
	uint64_t nlookup;
	struct fuse_bufvec *in_buf; /* write data (copied when parked) */
	struct fuse_bufvec heap_buf; /* in_buf of a parked call */
	const char *value;          /* setxattr value */

	/* what dispatch found out */
	uint64_t ino_num, fh_num;  /* the log's numbers for ino and fi.fh */
	char *path;                /* below the mount root, malloc'd, or NULL */
	bool parked;
	bool sxid;                 /* written as its caller, was setuid/setgid */
	bool hold, keep, eintr;
	uint64_t t_arrive_ns;
	int64_t planned_ns;        /* -1: hold without limit */
	const char *how;           /* how a parked call ended */
	enum call_state state;
	void *heap_blob;           /* copied names/data of a parked call */
};

/* Hand a call to the rules; serve runs now or later (see above). */
void call_dispatch(struct lag_call *c, lag_serve_fn serve);

/*
 * Log the op's event (open, create, flush, release always; any other op
 * only if it was parked) with result (0 or -errno). An open or create sets
 * c->fh_num and c->ino_num (the file's) first. Call it just before
 * replying: after the reply the kernel may already send the next request
 * for the same file (a release after an open), whose event must come later
 * in the log.
 */
void call_log(struct lag_call *c, int result);

/* The path of a call for rules and logs: computed on demand and cached. */
const char *call_path(struct lag_call *c);

/* Control channel: release held/delayed calls whose path matches glob
 * (NULL: all). Returns how many. */
size_t park_release(struct lagfs *fs, const char *glob);

/* The session ends: answer every parked call with EIO and wait until all
 * are answered and freed (replies to a dead connection fail harmlessly). */
void park_drain(struct lagfs *fs);

#endif
