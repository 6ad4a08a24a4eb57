#include "trace_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "clock.h"
#include "report_err.h"
#include "trace_line.h"
#include "tracefs.h"

#define MS 1000000ull
#define MAX_RECORDS 100000      /* then the oldest half goes */

struct trace_kept {
	struct trace_rec r;
	char *stack;                /* requests' records: KT_STACK_LEN */
};

/* The requests whose sender lagrace wants to see: RELEASE and FLUSH.
 * (FUSE_INTERRUPT is queued by fuse_dev_queue_interrupt, which has no
 * event; it comes from the task whose request it interrupts, which lagfs
 * logs already.) */
#define FUSE_OPS "opcode == 18 || opcode == 25"
/* An io_ring_ctx's size, at most: its exit work item lies inside it. */
#define RING_CTX_MAX 8192u

/* On kernels without fuse events: the function whose final put sends
 * the RELEASE. Its struct fuse_file starts with the mount (whose struct
 * fuse_mount starts with the connection and the superblock, whose s_dev
 * is the connection's number), and has its reference count at 40: stable
 * from 5.x to 6.18. Where fuse_file_put is inlined, fuse_release (the
 * file's ->release), joined by time only. */
static const char *const kprobes[] = {
	"fuse_file_put conn=+16(+8(+0($arg1))):u32 refs=+40($arg1):u32",
	"fuse_release",
};

/* The FUSE module registers its events when it loads: opening /dev/fuse
 * loads it, as the first mount would. */
static void load_fuse(void)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

static int find_source(int root, enum ktrace_source *src, char *why,
		       size_t cap)
{
	load_fuse();
	if (tracefs_has(root, "events/fuse/fuse_request_send"))
		*src = KT_SRC_TRACEPOINT;
	else if (tracefs_has(root, "kprobe_events"))
		*src = KT_SRC_KPROBE;
	else
		return errf(why, cap, "this kernel has no fuse trace events "
			    "and no kprobe events");
	return 0;
}

int trace_session_probe(enum ktrace_source *src, char *why, size_t cap)
{
	int root = tracefs_open(why, cap), rc;

	if (root < 0)
		return -1;
	rc = find_source(root, src, why, cap);
	close(root);
	return rc;
}

/* The kprobe event, on the first function of kprobes[] that takes one. */
static int define_kprobe(struct trace_session *t)
{
	char cmd[256];
	int e = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kprobes); i++) {
		snprintf(cmd, sizeof(cmd), "p:" TRACEFS_KPROBE_GROUP_FMT "/"
			 TRACE_KPROBE_EVENT " %s\n", t->pid, kprobes[i]);
		if (tracefs_append(t->root, "kprobe_events", cmd) == 0) {
			snprintf(t->what, sizeof(t->what), "kprobe on %.*s (no "
				 "fuse trace events in this kernel)",
				 (int)strcspn(kprobes[i], " "), kprobes[i]);
			return 0;
		}
		if (!e)
			e = errno;
	}
	return errf(t->why, sizeof(t->why), "kprobe_events: no kprobe on "
		    "fuse_file_put or fuse_release: %s", strerror(e));
}

/* One control file of the instance: 0, or -1 with t->why. */
static int set(struct trace_session *t, const char *path, const char *text)
{
	if (tracefs_write(t->inst, path, text) == 0)
		return 0;
	return errf(t->why, sizeof(t->why), "tracefs: %s: %s", path,
		    strerror(errno));
}

/* io_uring's events of our processes, their io-wq workers and kernel
 * workers; without io_uring events (or their filters), none. */
static void enable_uring(struct trace_session *t, const char *comm)
{
	static const char *const ev[] = {
		"io_uring_queue_async_work", "io_uring_task_add",
		"io_uring_task_work_run", "io_uring_complete",
	};
	char f[200], path[128];

	snprintf(f, sizeof(f), "comm == \"%s\"", comm);
	if (tracefs_write(t->inst, "events/io_uring/io_uring_create/filter",
			  f) < 0 ||
	    tracefs_write(t->inst, "events/io_uring/io_uring_create/enable",
			  "1") < 0)
		return;
	snprintf(f, sizeof(f), "comm == \"%s\" || comm ~ \"iou-wrk-*\" || "
		 "comm ~ \"kworker/*\"", comm);
	for (size_t i = 0; i < ARRAY_SIZE(ev); i++) {
		snprintf(path, sizeof(path), "events/io_uring/%s/filter", ev[i]);
		if (tracefs_write(t->inst, path, f) < 0)
			continue;
		snprintf(path, sizeof(path), "events/io_uring/%s/enable", ev[i]);
		tracefs_write(t->inst, path, "1");
	}
}

/* The work items that put the files of the family's members: "function
 * == ADDR || ..." from /proc/kallsyms (root's: real addresses), or "". */
static void work_filter(char *f, size_t cap)
{
	static const char *const fn[] = { "io_ring_exit_work", "__unix_gc" };
	FILE *ks = fopen("/proc/kallsyms", "re");
	char line[256], name[128], type;
	unsigned long long addr;
	size_t n = 0;

	f[0] = '\0';
	while (ks && fgets(line, sizeof(line), ks))
		for (size_t i = 0; i < ARRAY_SIZE(fn); i++)
			if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3
			    && addr && !strcmp(name, fn[i]) && n < cap)
				n += (size_t)snprintf(f + n, cap - n, "%sfunction "
						      "== 0x%llx", n ? " || " : "",
						      addr);
	if (ks)
		fclose(ks);
	if (n >= cap)
		f[0] = '\0';
}

/* Those work items as they start; without workqueue events, none. */
static void enable_work(struct trace_session *t)
{
	char f[200];

	work_filter(f, sizeof(f));
	if (f[0] && tracefs_write(t->inst, "events/workqueue/"
				  "workqueue_execute_start/filter", f) == 0)
		tracefs_write(t->inst, "events/workqueue/"
			      "workqueue_execute_start/enable", "1");
}

static int configure(struct trace_session *t)
{
	char comm[17] = "", f[200], ev[128];

	/* the child is a fork of ours: the same name */
	prctl(PR_GET_NAME, comm);
	if (set(t, "trace_clock", "mono") < 0)
		return -1;
	/* io_uring names a ring by its address, which the kernel hashes, and
	 * right after boot (no random key yet) prints as "(____ptrval____)":
	 * the child's ring could not be told from another. Where the
	 * option exists, the address as it is (this instance is root's). */
	tracefs_write(t->inst, "options/hash-ptr", "0");
	if (t->source == KT_SRC_TRACEPOINT) {
		if (set(t, "events/fuse/fuse_request_send/filter", FUSE_OPS) ||
		    set(t, "events/fuse/fuse_request_send/trigger",
			"stacktrace if " FUSE_OPS) ||
		    set(t, "events/fuse/fuse_request_send/enable", "1"))
			return -1;
	} else {
		snprintf(ev, sizeof(ev), "events/" TRACEFS_KPROBE_GROUP_FMT "/"
			 TRACE_KPROBE_EVENT "/trigger", t->pid);
		if (set(t, ev, "stacktrace"))
			return -1;
		snprintf(ev, sizeof(ev), "events/" TRACEFS_KPROBE_GROUP_FMT "/"
			 TRACE_KPROBE_EVENT "/enable", t->pid);
		if (set(t, ev, "1"))
			return -1;
	}
	snprintf(f, sizeof(f), "comm == \"%s\" || comm ~ \"iou-wrk-*\"", comm);
	if (set(t, "events/sched/sched_process_exit/filter", f) ||
	    set(t, "events/sched/sched_process_exit/enable", "1"))
		return -1;
	enable_uring(t, comm);
	enable_work(t);
	return 0;
}

/* The instance, afresh: one of a dead process that had our pid goes. */
static int make_instance(struct trace_session *t)
{
	char path[64], why[200];

	snprintf(path, sizeof(path), "instances/" TRACEFS_INSTANCE_FMT, t->pid);
	if (mkdirat(t->root, path, 0700) < 0 && errno == EEXIST &&
	    tracefs_remove_run(t->root, t->pid, why, sizeof(why)) == 0)
		mkdirat(t->root, path, 0700);
	t->inst = openat(t->root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->inst < 0)
		return errf(t->why, sizeof(t->why), "tracefs: %s: %s", path,
			    strerror(errno));
	return 0;
}

int trace_session_start(struct trace_session *t, const struct race_cfg *cfg,
			uint64_t t_begin)
{
	t->root = t->inst = t->pipe = -1;
	t->stack_to = -1;
	t->pid = (long)getpid();
	t->lanes = cfg->jobs < ARRAY_SIZE(t->lane_end) ? cfg->jobs
		   : ARRAY_SIZE(t->lane_end);
	for (unsigned i = 0; i < ARRAY_SIZE(t->lane_end); i++)
		t->lane_end[i] = t_begin;
	t->root = tracefs_open(t->why, sizeof(t->why));
	if (t->root < 0)
		return -1;
	if (find_source(t->root, &t->source, t->why, sizeof(t->why)) < 0)
		goto fail;
	if (t->source == KT_SRC_TRACEPOINT)
		snprintf(t->what, sizeof(t->what), "tracepoint "
			 "fuse/fuse_request_send");
	else if (define_kprobe(t) < 0)
		goto fail;
	if (make_instance(t) < 0 || configure(t) < 0)
		goto fail;
	t->pipe = openat(t->inst, "trace_pipe", O_RDONLY | O_NONBLOCK |
			 O_CLOEXEC);
	if (t->pipe < 0) {
		errf(t->why, sizeof(t->why), "tracefs: trace_pipe: %s",
		     strerror(errno));
		goto fail;
	}
	return 0;
fail:
	{
		char why[sizeof(t->why)];

		memcpy(why, t->why, sizeof(why));
		trace_session_stop(t);
		memcpy(t->why, why, sizeof(why));
	}
	return -1;
}

/* ---- reading ---------------------------------------------------------- */

static bool is_request(const struct trace_rec *r)
{
	return r->kind == TR_FUSE_SEND || r->kind == TR_KPROBE_RELEASE;
}

static void drop_oldest(struct trace_session *t, size_t k)
{
	for (size_t i = 0; i < k; i++)
		free(t->recs[i].stack);
	memmove(t->recs, t->recs + k, (t->n - k) * sizeof(*t->recs));
	t->n -= k;
	t->stack_to = t->stack_to >= (long)k ? t->stack_to - (long)k : -1;
}

static void keep(struct trace_session *t, const struct trace_rec *r)
{
	struct trace_kept *k;

	if (t->n == MAX_RECORDS) {
		t->lost += MAX_RECORDS / 2;
		drop_oldest(t, MAX_RECORDS / 2);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct trace_kept *p = realloc(t->recs, cap * sizeof(*p));

		if (!p) {
			t->lost++;
			return;
		}
		t->recs = p;
		t->cap = cap;
	}
	k = &t->recs[t->n++];
	k->r = *r;
	k->stack = is_request(r) ? calloc(1, KT_STACK_LEN) : NULL;
}

/* "<stack trace>": the request just recorded in that task on that CPU. */
static long stack_owner(const struct trace_session *t,
			const struct trace_rec *r)
{
	for (size_t i = t->n, back = 0; i-- > 0 && back < 16; back++) {
		const struct trace_kept *k = &t->recs[i];

		if (is_request(&k->r) && k->stack && !k->stack[0] &&
		    k->r.pid == r->pid && k->r.cpu == r->cpu)
			return (long)i;
	}
	return -1;
}

static void line(struct trace_session *t, const char *s)
{
	struct trace_rec r;
	char *stack;

	switch (trace_line_parse(s, &r)) {
	case TR_NONE:
		t->stack_to = -1;
		break;
	case TR_STACK:
		t->stack_to = stack_owner(t, &r);
		break;
	case TR_FRAME:
		if (t->stack_to < 0)
			break;
		stack = t->recs[t->stack_to].stack;
		/* who sent it, not how the request was queued */
		if (!stack || (!stack[0] && ktrace_frame_is_machinery(r.frame)))
			break;
		ktrace_add_frame(stack, KT_STACK_LEN, r.frame);
		break;
	default:
		t->stack_to = -1;
		keep(t, &r);
	}
}

/* The complete lines of t->buf; what is left is the start of a line. */
static void lines(struct trace_session *t)
{
	char *p, *nl;

	t->buf[t->blen] = '\0';
	for (p = t->buf; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		line(t, p);
	}
	t->blen -= (size_t)(p - t->buf);
	memmove(t->buf, p, t->blen);
	if (t->blen == sizeof(t->buf) - 1)
		t->blen = 0;  /* no line is that long: resync */
}

void trace_session_drain(struct trace_session *t)
{
	if (t->pipe < 0)
		return;
	for (;;) {
		ssize_t n = read(t->pipe, t->buf + t->blen,
				 sizeof(t->buf) - 1 - t->blen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN: all read */
		t->blen += (size_t)n;
		lines(t);
	}
}

void trace_session_replay(struct trace_session *t, enum ktrace_source src,
			  unsigned lanes, const char *text)
{
	if (t->source == KT_SRC_NONE) {
		memset(t, 0, sizeof(*t));
		t->root = t->inst = t->pipe = -1;
		t->stack_to = -1;
		t->source = src;
		t->lanes = lanes < ARRAY_SIZE(t->lane_end) ? lanes
			   : ARRAY_SIZE(t->lane_end);
	}
	while (*text) {
		size_t n = strlen(text), room = sizeof(t->buf) - 1 - t->blen;

		if (n > room)
			n = room;
		memcpy(t->buf + t->blen, text, n);
		t->blen += n;
		text += n;
		lines(t);
	}
}

/* ---- joining ---------------------------------------------------------- */

static uint32_t opcode_of(int kind)
{
	return kind == LAG_EV_RELEASE ? FUSE_OP_RELEASE
	       : kind == LAG_EV_FLUSH ? FUSE_OP_FLUSH : 0;
}

static uint64_t window_start(const struct iter_result *r)
{
	/* A lane's mounts reuse device numbers and request ids: only this
	 * iteration's time tells them apart. */
	return (r->t_fork ? r->t_fork : r->t_start) - MS;
}

/* The kernel's record of the request of lagfs's event i: by connection
 * and request id, or (kprobe) by connection and time. */
static long find_request(const struct trace_session *t,
			 const struct iter_result *r, int i, const bool *used)
{
	const struct iter_ev *e = &r->ev[i];
	uint64_t from = window_start(r), to = e->t_ns + MS;
	long best = -1;
	bool best_final = false;

	for (size_t j = 0; j < t->n; j++) {
		const struct trace_rec *k = &t->recs[j].r;

		if (used[j] || k->t_ns < from || k->t_ns > to)
			continue;
		if (k->kind == TR_FUSE_SEND) {
			/* 6.12's event comes before the request has its id
			 * ("req 0"): by connection and time there */
			if (k->conn != r->fuse_conn ||
			    k->opcode != opcode_of(e->kind) ||
			    (k->unique && (uint32_t)k->unique != r->ev_unique[i]))
				continue;
		} else if (k->kind == TR_KPROBE_RELEASE) {
			if (e->kind != LAG_EV_RELEASE ||
			    (k->conn && k->conn != r->fuse_conn))
				continue;
			/* the last put, the one that sends the RELEASE */
			if (best_final && k->refs != 1)
				continue;
			best_final = k->refs == 1;
		} else {
			continue;
		}
		best = (long)j;
	}
	return best;
}

static void fill_request(struct ktrace_req *q, const struct trace_kept *k,
			 const struct iter_ev *e, const struct trace_session *t)
{
	memset(q, 0, sizeof(*q));
	q->t_ns = k->r.t_ns;
	q->unique = k->r.unique;
	q->pid = k->r.pid;
	q->kind = e->kind;
	q->file = e->file;
	q->source = (uint8_t)t->source;
	q->join = k->r.kind == TR_FUSE_SEND && k->r.unique ? KT_JOIN_UNIQUE
		  : k->r.conn ? KT_JOIN_CONN_TIME : KT_JOIN_TIME;
	snprintf(q->comm, sizeof(q->comm), "%s", k->r.comm);
	if (k->stack)
		snprintf(q->stack, sizeof(q->stack), "%s", k->stack);
}

/* Which of lagfs's events to look up, in the order they are kept while
 * there is room: the RELEASEs (latest first), then the FLUSHes. */
static void join_requests(struct trace_session *t, struct iter_result *r)
{
	static const int kinds[] = { LAG_EV_RELEASE, LAG_EV_FLUSH };
	bool *used = calloc(t->n ? t->n : 1, sizeof(*used));
	struct iter_trace *tr = &r->trace;

	for (size_t k = 0; used && k < ARRAY_SIZE(kinds); k++) {
		for (int i = r->n_ev; i-- > 0 && tr->n_req < KT_MAX_REQ;) {
			long j;

			if (r->ev[i].kind != kinds[k] ||
			    (j = find_request(t, r, i, used)) < 0)
				continue;
			used[j] = true;
			fill_request(&tr->req[tr->n_req++], &t->recs[j],
				     &r->ev[i], t);
		}
	}
	free(used);
}

static void add_mark(struct iter_trace *tr, const struct trace_rec *k,
		     int kind)
{
	struct ktrace_mark *m;

	if (tr->n_marks == KT_MAX_MARKS) {
		tr->marks_dropped++;
		return;
	}
	m = &tr->mark[tr->n_marks++];
	memset(m, 0, sizeof(*m));
	m->t_ns = k->t_ns;
	m->kind = (uint8_t)kind;
	m->pid = kind == KT_EXIT || kind == KT_WORKER_EXIT ? k->exit_pid
							   : k->pid;
	m->res = k->res;
	snprintf(m->comm, sizeof(m->comm), "%s",
		 kind == KT_EXIT || kind == KT_WORKER_EXIT ? k->exit_comm
							   : k->comm);
}

static bool childs_worker(const char *comm, const char *prefix)
{
	return !strncmp(comm, prefix, strlen(prefix));
}

/* The kind of mark record k is for this iteration's child, or -1. */
static int mark_kind(const struct trace_rec *k, const struct iter_result *r,
		     uint64_t ring, const char *worker)
{
	switch (k->kind) {
	case TR_EXIT:
		return k->exit_pid == r->child ? KT_EXIT
		       : childs_worker(k->exit_comm, worker) ? KT_WORKER_EXIT
		       : -1;
	case TR_URING_PUNT:
		return ring && k->ring == ring ? KT_URING_PUNT : -1;
	case TR_URING_TASK_ADD:
		return ring && k->ring == ring ? KT_URING_TASK_ADD : -1;
	case TR_URING_COMPLETE:
		return ring && k->ring == ring ? KT_URING_COMPLETE : -1;
	case TR_URING_TW_RUN:
		return k->pid == r->child || childs_worker(k->comm, worker)
		       ? KT_URING_TW_RUN : -1;
	case TR_WORK:
		/* the exit work item lies inside the ring's context */
		if (!strcmp(k->func, "io_ring_exit_work"))
			return ring && k->work >= ring &&
			       k->work - ring < RING_CTX_MAX ? KT_RING_EXIT_WORK
			       : -1;
		return !strcmp(k->func, "__unix_gc") && r->t_kill &&
		       k->t_ns >= r->t_kill ? KT_UNIX_GC : -1;
	default:
		return -1;
	}
}

/* The child's exit and its ring's work, in time order; exits first when
 * there are more than fit. */
static void join_marks(const struct trace_session *t, struct iter_result *r)
{
	uint64_t from = window_start(r), to = r->t_end ? r->t_end : lag_now_ns();
	uint64_t ring = 0;
	char worker[32];

	snprintf(worker, sizeof(worker), "iou-wrk-%d", (int)r->child);
	for (size_t j = 0; j < t->n && !ring; j++) {
		const struct trace_rec *k = &t->recs[j].r;

		if (k->kind == TR_URING_CREATE && k->pid == r->child &&
		    k->t_ns >= from && k->t_ns <= to)
			ring = k->ring;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t j = 0; j < t->n; j++) {
			const struct trace_rec *k = &t->recs[j].r;
			int kind = mark_kind(k, r, ring, worker);
			bool exit = kind == KT_EXIT || kind == KT_WORKER_EXIT;

			if (kind >= 0 && k->t_ns >= from && k->t_ns <= to &&
			    exit == (pass == 0))
				add_mark(&r->trace, k, kind);
		}
	/* in time order */
	for (int i = 1; i < r->trace.n_marks; i++)
		for (int j = i; j > 0 && r->trace.mark[j].t_ns <
					 r->trace.mark[j - 1].t_ns; j--) {
			struct ktrace_mark m = r->trace.mark[j];

			r->trace.mark[j] = r->trace.mark[j - 1];
			r->trace.mark[j - 1] = m;
		}
}

/* Records older than every lane's last result belong to no iteration to
 * come: each lane's next one starts after its last ended. */
static void prune(struct trace_session *t)
{
	uint64_t oldest = UINT64_MAX;
	size_t k = 0;

	for (unsigned i = 0; i < t->lanes; i++)
		if (t->lane_end[i] < oldest)
			oldest = t->lane_end[i];
	while (k < t->n && t->recs[k].r.t_ns + MS < oldest)
		k++;
	if (k)
		drop_oldest(t, k);
}

void trace_session_join(struct trace_session *t, struct iter_result *r)
{
	memset(&r->trace, 0, sizeof(r->trace));
	if (t->source == KT_SRC_NONE)
		return;
	trace_session_drain(t);
	r->trace.source = (uint8_t)t->source;
	if (r->t_kill && r->child > 0) {
		join_requests(t, r);
		join_marks(t, r);
	}
	if (r->lane < t->lanes)
		t->lane_end[r->lane] = r->t_end ? r->t_end : lag_now_ns();
	prune(t);
}

/* ---- ending ----------------------------------------------------------- */

static void close_fds(struct trace_session *t)
{
	if (t->pipe >= 0)
		close(t->pipe);
	if (t->inst >= 0)
		close(t->inst);
	t->pipe = t->inst = -1;
}

void trace_session_forget(struct trace_session *t)
{
	close_fds(t);
	if (t->root >= 0)
		close(t->root);
	t->root = -1;
}

int trace_session_stop(struct trace_session *t)
{
	int rc = 0;

	/* An instance with a file open in it cannot be removed. */
	close_fds(t);
	if (t->root >= 0 && tracefs_remove_run(t->root, t->pid, t->why,
					       sizeof(t->why)) < 0)
		rc = error("left behind: %s (lagrace cleanup removes it)",
			   t->why);
	if (t->root >= 0)
		close(t->root);
	t->root = -1;
	for (size_t i = 0; i < t->n; i++)
		free(t->recs[i].stack);
	free(t->recs);
	t->recs = NULL;
	t->n = t->cap = 0;
	t->source = KT_SRC_NONE;
	return rc;
}
