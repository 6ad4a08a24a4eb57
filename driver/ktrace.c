#include "ktrace.h"

#include <stdio.h>
#include <string.h>

#include "base.h"

const char *const ktrace_source_names[KT_SRC_N] = {
	[KT_SRC_TRACEPOINT] = "tracepoint",
	[KT_SRC_KPROBE] = "kprobe",
};

const char *const ktrace_join_names[KT_JOIN_N] = {
	[KT_JOIN_UNIQUE] = "request id",
	[KT_JOIN_CONN_TIME] = "connection and time",
	[KT_JOIN_TIME] = "time",
};

const char *const ktrace_mark_names[KT_MARK_N] = {
	[KT_EXIT] = "exit",
	[KT_WORKER_EXIT] = "worker_exit",
	[KT_URING_PUNT] = "io_uring_queue_async_work",
	[KT_URING_TASK_ADD] = "io_uring_task_add",
	[KT_URING_TW_RUN] = "io_uring_task_work_run",
	[KT_URING_COMPLETE] = "io_uring_complete",
	[KT_RING_EXIT_WORK] = "io_ring_exit_work",
	[KT_UNIX_GC] = "unix_gc",
};

const struct ktrace_req *ktrace_find(const struct iter_trace *t, int kind,
				     int file)
{
	for (int i = 0; t && i < t->n_req && i < KT_MAX_REQ; i++)
		if (t->req[i].kind == kind && t->req[i].file == file)
			return &t->req[i];
	return NULL;
}

bool ktrace_frame(const char *stack, int i, char *buf, size_t cap)
{
	const char *p = stack;

	for (; i > 0 && p; i--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return false;
	snprintf(buf, cap, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

bool ktrace_has_frame(const char *stack, const char *name)
{
	char f[128];

	for (int i = 0; ktrace_frame(stack, i, f, sizeof(f)); i++)
		if (!strcmp(f, name))
			return true;
	return false;
}

bool ktrace_add_frame(char *stack, size_t cap, const char *frame)
{
	size_t len = strlen(stack), flen = strlen(frame);

	if (!flen || len + flen + 2 > cap)
		return false;
	memcpy(stack + len, frame, flen);
	stack[len + flen] = '\n';
	stack[len + flen + 1] = '\0';
	return true;
}

/* Frames that name who deferred the last fput, or the exit that did it,
 * first match wins (innermost first). fuse_readpages_end: a readahead's
 * reference to the FUSE file was the last, dropped as its READ was
 * answered (in the daemon's write to /dev/fuse). */
static const char *const deferrals[] = {
	"delayed_fput", "io_fallback_req_func", "io_ring_exit_work",
	"unix_gc", "__fput_sync", "fuse_readpages_end", "task_work_run",
	"do_exit",
};

/* Frames of a kernel thread's or a syscall's entry: never a path. */
static const char *const entries[] = {
	"process_one_work", "worker_thread", "kthread", "ret_from_fork",
	"ret_from_fork_asm", "do_syscall_64", "entry_SYSCALL_64_after_hwframe",
};

static bool named(const char *f, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f, names[i]))
			return true;
	return false;
}

const char *ktrace_path(const char *stack, char *buf, size_t cap)
{
	char f[128], last[128] = "";

	for (int i = 0; ktrace_frame(stack, i, f, sizeof(f)); i++) {
		if (named(f, deferrals, ARRAY_SIZE(deferrals))) {
			snprintf(buf, cap, "%s", f);
			return buf;
		}
		if (named(f, entries, ARRAY_SIZE(entries)))
			break;  /* the work item or syscall above it is the path */
		snprintf(last, sizeof(last), "%s", f);
	}
	snprintf(buf, cap, "%s", last);
	return buf;
}

bool ktrace_frame_is_machinery(const char *f)
{
	static const char *const fuse_queueing[] = {
		"fuse_dev_queue_req", "fuse_dev_queue_interrupt",
		"flush_bg_queue", "fuse_simple_background",
		"fuse_request_queue_background", "__fuse_simple_request",
		"fuse_simple_request", "__fuse_request_send",
		"queue_request_and_unlock", "fuse_dev_wake_and_unlock",
		"fuse_send_one", "fuse_get_unique",
	};

	/* "0xffffffffc034e0c8": a kprobe's trampoline, which has no name */
	return !strncmp(f, "0x", 2) ||
	       !strncmp(f, "trace_", 6) || !strncmp(f, "perf_trace_", 11) ||
	       !strncmp(f, "kprobe_", 7) || !strncmp(f, "__traceiter_", 12) ||
	       strstr(f, "_trace_event") ||
	       named(f, fuse_queueing, ARRAY_SIZE(fuse_queueing));
}

const char *ktrace_task_class(const struct ktrace_req *q, int32_t child)
{
	static char buf[64];
	char worker[32];

	snprintf(worker, sizeof(worker), "iou-wrk-%d", (int)child);
	if (q->pid == child)
		return "the child";
	if (!strncmp(q->comm, worker, strlen(worker)))
		return "an io-wq worker of the child";
	if (!strncmp(q->comm, "kworker/", 8))
		return "a kernel worker";
	snprintf(buf, sizeof(buf), "%s", q->comm);
	return buf;
}

/* Where task_work_run ran: the frame below it that says so. */
static const char *task_work_context(const char *stack)
{
	static const char *const ctx[] = { "do_exit", "io_wq_worker",
					   "get_signal", "exit_to_user_mode_loop" };

	for (size_t i = 0; i < ARRAY_SIZE(ctx); i++)
		if (ktrace_has_frame(stack, ctx[i]))
			return ctx[i];
	return NULL;
}

const char *ktrace_path_words(const char *stack, char *buf, size_t cap)
{
	char path[128];
	const char *ctx = NULL;

	ktrace_path(stack, path, sizeof(path));
	if (!strcmp(path, "task_work_run"))
		ctx = task_work_context(stack);
	snprintf(buf, cap, "%s%s%s", *path ? path : "unknown",
		 ctx ? " in " : "", ctx ? ctx : "");
	return buf;
}

void ktrace_release_words(const struct ktrace_req *q, int32_t child,
			  char *buf, size_t cap)
{
	char path[160];

	ktrace_path_words(q->stack, path, sizeof(path));
	if (q->pid == child)
		snprintf(buf, cap, "the child (%s %d) via %s", q->comm,
			 (int)q->pid, path);
	else
		snprintf(buf, cap, "%s via %s", q->comm, path);
}

void ktrace_stack_words(const char *stack, int n, char *buf, size_t cap)
{
	char f[128];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; (!n || i < n) && ktrace_frame(stack, i, f, sizeof(f)) &&
		    len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					i ? " <- " : "", f);
	if (n && ktrace_frame(stack, i, f, sizeof(f)) && len < cap)
		snprintf(buf + len, cap - len, " <- ...");
}
