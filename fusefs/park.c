#include "park.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "lag_event.h"
#include "open_files.h"
#include "session_io.h"
#include "xpthread.h"

static char *join_path(const char *dir, const char *name)
{
	char *p;

	if (!dir)
		return NULL;
	if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
		     name) < 0)
		return NULL;
	return p;
}

const char *call_path(struct lag_call *c)
{
	struct lag_inode *in;
	char *dir;

	if (c->path)
		return c->path;
	if (c->has_fi && lag_op_is(c->op, LAG_OP_ON_FILE)) {
		struct lag_file *f = lag_file_of(c->fi.fh);

		c->path = f->path ? strdup(f->path) : NULL;
		return c->path;
	}
	in = inode_table_get(c->fs->inodes, c->ino);
	dir = lagfs_inode_path(c->fs, in);
	if (c->name) {
		c->path = join_path(dir, c->name);
		free(dir);
	} else {
		c->path = dir;
	}
	return c->path;
}

/* Uses no field of the request: it may have been answered already. */
static void event_for(struct lag_call *c, struct lag_event *e,
		      enum lag_ev_kind kind)
{
	const char *path = call_path(c);

	lag_event_init(e, kind);
	e->unique = c->unique;
	e->pid = c->pid;
	e->uid = c->uid;
	e->ino = c->ino_num;
	e->fh = c->fh_num;
	if (path)
		lag_event_set_path(e, path, strlen(path));
	if (lag_op_is(c->op, LAG_OP_OPENS))
		e->flags = c->has_fi ? c->fi.flags : c->flags;
}

static void free_call(struct lag_call *c)
{
	struct lagfs *fs = c->fs;

	free(c->path);
	if (!c->parked)
		return;
	free(c->heap_blob);
	free(c);
	xmutex_lock(&fs->park_lock);
	if (--fs->parked_now == 0)
		xcond_broadcast(&fs->drained);
	xmutex_unlock(&fs->park_lock);
}

void call_log(struct lag_call *c, int result)
{
	struct lagfs *fs = c->fs;

	if (fs->log && (c->parked || lag_op_is(c->op, LAG_OP_LOGGED))) {
		struct lag_event e;

		event_for(c, &e, LAG_EV_ANSWER);
		/* open, create, flush, release: kinds of their own */
		lag_event_set_ev(&e, lag_op_names[c->op]);
		e.result = result;
		if (c->parked) {
			e.delay_ns = (int64_t)(e.t_ns - c->t_arrive_ns);
			snprintf(e.how, sizeof(e.how), "%s", c->how);
		}
		lagfs_log(fs, &e);
	}
}

/* Answer a parked call that will not be served. */
static void answer_eintr(struct lag_call *c, const char *how)
{
	c->how = how;
	atomic_fetch_add(&c->fs->n.eintr, 1);
	call_log(c, -EINTR);
	fuse_reply_err(c->req, EINTR);
	free_call(c);
}

static void fire(struct dq_item *item, enum dq_reason why)
{
	struct lag_call *c = (struct lag_call *)item;

	/*
	 * Unregistering waits for an interrupt callback that is running now
	 * (libfuse holds the request's lock around it) and keeps later ones
	 * away, so the call can be freed once served.
	 */
	fuse_req_interrupt_func(c->req, NULL, NULL);
	if (atomic_load(&c->fs->ending))
		why = DQ_SHUTDOWN;
	switch (why) {
	case DQ_DEADLINE:
		c->how = c->hold ? "max" : "delay";
		break;
	case DQ_RELEASED:
		c->how = "release";
		atomic_fetch_add(&c->fs->n.released, 1);
		break;
	case DQ_SHUTDOWN:
		c->how = "shutdown";
		call_log(c, -EIO);
		fuse_reply_err(c->req, EIO);
		free_call(c);
		return;
	}
	c->serve(c);
	free_call(c);
}

static bool ends_on_interrupt(const struct lag_call *c)
{
	return (c->hold && !c->keep) || c->eintr;
}

static void on_interrupt(fuse_req_t req, void *data)
{
	struct lag_call *c = data;
	struct lagfs *fs = c->fs;
	bool answer = false;
	struct lag_event e;

	(void)req;
	atomic_fetch_add(&fs->n.interrupts, 1);
	if (fs->log) {
		event_for(c, &e, LAG_EV_INTERRUPT);
		snprintf(e.op, sizeof(e.op), "%s", lag_op_names[c->op]);
		lagfs_log(fs, &e);
	}
	xmutex_lock(&fs->park_lock);
	if (c->state == CALL_NEW) {
		c->state = CALL_INTERRUPTED_EARLY;
	} else if (c->state == CALL_PARKED && ends_on_interrupt(c) &&
		   dq_cancel(fs->dq, &c->item)) {
		c->state = CALL_DONE;
		answer = true;
	}
	xmutex_unlock(&fs->park_lock);
	/* Replying here is safe: libfuse keeps req alive around callbacks. */
	if (answer)
		answer_eintr(c, "interrupt");
}

/* Copy what the call points into (names, write data) to the heap. */
static struct lag_call *copy_to_heap(const struct lag_call *src)
{
	size_t n1 = src->name ? strlen(src->name) + 1 : 0;
	size_t n2 = src->newname ? strlen(src->newname) + 1 : 0;
	size_t n3 = src->link ? strlen(src->link) + 1 : 0;
	size_t nv = src->value ? src->size : 0;
	size_t nd = src->in_buf ? fuse_buf_size(src->in_buf) : 0;
	size_t blob = n1 + n2 + n3 + nv + nd + 1;
	struct lag_call *c = malloc(sizeof(*c));
	char *p;

	if (!c)
		return NULL;
	*c = *src;
	c->heap_blob = p = malloc(blob);
	if (!p) {
		free(c);
		return NULL;
	}
	if (src->name)
		c->name = memcpy(p, src->name, n1), p += n1;
	if (src->newname)
		c->newname = memcpy(p, src->newname, n2), p += n2;
	if (src->link)
		c->link = memcpy(p, src->link, n3), p += n3;
	if (src->value)
		c->value = memcpy(p, src->value, nv), p += nv;
	if (src->in_buf) {
		/* The session reuses its receive buffer once we return. */
		ssize_t got;

		c->heap_buf = (struct fuse_bufvec)FUSE_BUFVEC_INIT(nd);
		c->heap_buf.buf[0].mem = p;
		got = fuse_buf_copy(&c->heap_buf, src->in_buf, 0);
		if (got < 0 || (size_t)got != nd) {
			free(c->heap_blob);
			free(c);
			return NULL;
		}
		c->in_buf = &c->heap_buf;
	}
	return c;
}

struct decision {
	bool apply, hold, keep, eintr;
	uint64_t delay_ns, max_ns;
};

static struct decision decide(struct lag_call *c)
{
	static __thread unsigned seed;
	struct lagfs *fs = c->fs;
	struct decision d = { 0 };
	const struct rule *r;
	const char *path = NULL;

	if (!seed)
		seed = (unsigned)lag_now_ns() ^ (unsigned)(uintptr_t)&seed;
	xrwlock_rdlock(&fs->rules_lock);
	if (fs->rules->any_path)
		path = call_path(c);
	r = rule_set_match(fs->rules, c->op, path);
	if (r && (r->delay_ns || r->jitter_ns || r->hold) &&
	    rule_applies(r, &seed)) {
		d.apply = true;
		d.hold = r->hold;
		d.keep = r->keep;
		d.eintr = r->eintr;
		d.delay_ns = r->hold ? r->max_ns : rule_delay_ns(r, &seed);
	}
	xrwlock_unlock(&fs->rules_lock);
	return d;
}

static void log_park(struct lag_call *c)
{
	struct lag_event e;

	if (!c->fs->log)
		return;
	event_for(c, &e, LAG_EV_PARK);
	snprintf(e.op, sizeof(e.op), "%s", lag_op_names[c->op]);
	e.delay_ns = c->planned_ns;
	e.hold = c->hold;
	lagfs_log(c->fs, &e);
}

static void park(struct lag_call *src, struct decision d)
{
	struct lagfs *fs = src->fs;
	struct lag_call *c = copy_to_heap(src);
	uint64_t deadline;
	bool early;

	if (!c) {
		/* Out of memory: serving at once beats failing the request. */
		src->serve(src);
		free_call(src);
		return;
	}
	c->parked = true;
	c->hold = d.hold;
	c->keep = d.keep;
	c->eintr = d.eintr;
	c->state = CALL_NEW;
	c->item.fire = fire;
	c->planned_ns = d.delay_ns == DURATION_INF ? -1 : (int64_t)d.delay_ns;
	deadline = d.delay_ns == DURATION_INF ? DURATION_INF
					      : c->t_arrive_ns + d.delay_ns;
	atomic_fetch_add(&fs->n.parked, 1);
	call_path(c); /* the control channel releases by path */
	log_park(c);

	xmutex_lock(&fs->park_lock);
	fs->parked_now++;
	xmutex_unlock(&fs->park_lock);
	/* May call on_interrupt right here if the kernel already asked. */
	fuse_req_interrupt_func(c->req, on_interrupt, c);
	xmutex_lock(&fs->park_lock);
	early = c->state == CALL_INTERRUPTED_EARLY && ends_on_interrupt(c);
	if (!early) {
		c->state = CALL_PARKED;
		if (dq_park(fs->dq, &c->item, deadline) < 0) {
			xmutex_unlock(&fs->park_lock);
			fire(&c->item, DQ_DEADLINE);
			return;
		}
	} else {
		c->state = CALL_DONE;
	}
	xmutex_unlock(&fs->park_lock);
	if (early) {
		fuse_req_interrupt_func(c->req, NULL, NULL);
		answer_eintr(c, "interrupt");
	}
}

void call_dispatch(struct lag_call *c, lag_serve_fn serve)
{
	struct lagfs *fs = fuse_req_userdata(c->req);
	const struct fuse_ctx *ctx = fuse_req_ctx(c->req);
	struct decision d;

	c->fs = fs;
	c->pid = ctx->pid;
	c->uid = ctx->uid;
	c->serve = serve;
	c->t_arrive_ns = lag_now_ns();
	c->unique = session_io_unique();
	/*
	 * Now, while the request keeps its inode and handle alive: a release
	 * frees the handle before it logs, and a request the kernel gave up on
	 * no longer holds the inode.
	 */
	if (fs->log) {
		if (c->ino)
			c->ino_num = inode_table_get(fs->inodes, c->ino)->num;
		if (c->has_fi && c->fi.fh)
			c->fh_num = lag_handle_num(c->fi.fh);
	}
	atomic_fetch_add(&fs->n.requests, 1);
	if (!(atomic_load(&fs->op_mask) & (1ull << c->op))) {
		serve(c);
		free_call(c);
		return;
	}
	d = decide(c);
	if (!d.apply) {
		serve(c);
		free_call(c);
		return;
	}
	park(c, d);
	/* The stack copy's path moved to the heap copy (or was freed). */
}

struct release_arg {
	const char *glob;
};

static bool release_match(struct dq_item *item, void *arg)
{
	struct lag_call *c = (struct lag_call *)item;
	const struct release_arg *ra = arg;

	if (!ra->glob)
		return true;
	return c->path && rule_glob_match(ra->glob, c->path);
}

size_t park_release(struct lagfs *fs, const char *glob)
{
	struct release_arg ra = { .glob = glob };

	return dq_release_if(fs->dq, release_match, &ra);
}

void park_drain(struct lagfs *fs)
{
	if (!fs->dq)
		return; /* startup failed before the queue: nothing parked */
	atomic_store(&fs->ending, true);
	park_release(fs, NULL);
	xmutex_lock(&fs->park_lock);
	while (fs->parked_now)
		xcond_wait(&fs->drained, &fs->park_lock);
	xmutex_unlock(&fs->park_lock);
	atomic_store(&fs->ending, false);
}
