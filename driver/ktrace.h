/*
 * ktrace: what the kernel's own trace showed of one iteration (--trace):
 * for the FUSE requests of the child's files that lagfs logged (RELEASE,
 * FLUSH; no kernel event shows an INTERRUPT being queued), the task that
 * sent each and the kernel stack it came
 * from; and marks of the child's exit and of io_uring's work for the
 * child's ring, so that a story can show the hand-off from the dying task
 * to a kernel worker, and the work items that put the files of the
 * family's members (a ring's teardown, the unix garbage collector). trace_session.c fills it in lagrace's main process,
 * from the records of its tracefs instance; lanes never send it.
 *
 * A stack is kept innermost first, without the tracing machinery and
 * FUSE's queueing functions above the function that sent the request
 * (fuse_file_put for a RELEASE, fuse_flush for a FLUSH). Its release path
 * (ktrace_path) is the first frame that names a deferral or an exit:
 * delayed_fput, task_work_run, io_fallback_req_func, do_exit, ...
 */
#ifndef KTRACE_H
#define KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the records came from. */
enum ktrace_source { KT_SRC_NONE, KT_SRC_TRACEPOINT, KT_SRC_KPROBE, KT_SRC_N };
extern const char *const ktrace_source_names[KT_SRC_N]; /* none: NULL */

/* How a record was matched to lagfs's event. */
enum ktrace_join { KT_JOIN_UNIQUE, KT_JOIN_CONN_TIME, KT_JOIN_TIME,
		   KT_JOIN_N };
extern const char *const ktrace_join_names[KT_JOIN_N];

#define KT_MAX_REQ 4
#define KT_STACK_LEN 600
#define KT_COMM_LEN 16

/* A FUSE request of the child's file, as the kernel sent it. */
struct ktrace_req {
	uint64_t t_ns;                 /* CLOCK_MONOTONIC, microseconds */
	uint64_t unique;               /* the request id; 0 if not known */
	int32_t pid;                   /* the task that sent it */
	uint8_t kind;                  /* LAG_EV_RELEASE, LAG_EV_FLUSH */
	uint8_t file;                  /* index into iter_result.files */
	uint8_t source;                /* enum ktrace_source */
	uint8_t join;                  /* enum ktrace_join */
	char comm[KT_COMM_LEN];        /* its name: "kworker/1:0" */
	char stack[KT_STACK_LEN];      /* frames innermost first, each
					* ending in '\n' */
};

/* Other things the kernel showed of the child, in time order. */
enum ktrace_mark_kind {
	KT_EXIT,                       /* sched_process_exit of the child */
	KT_WORKER_EXIT,                /* ... of one of its io-wq workers */
	KT_URING_PUNT,                 /* io_uring_queue_async_work */
	KT_URING_TASK_ADD,             /* io_uring_task_add */
	KT_URING_TW_RUN,               /* io_uring_task_work_run */
	KT_URING_COMPLETE,             /* io_uring_complete */
	KT_RING_EXIT_WORK,             /* io_ring_exit_work starts for the
					* child's ring (workqueue events) */
	KT_UNIX_GC,                    /* the unix garbage collector runs */
	KT_MARK_N
};
extern const char *const ktrace_mark_names[KT_MARK_N];

#define KT_MAX_MARKS 12

struct ktrace_mark {
	uint64_t t_ns;
	int32_t pid;                   /* the task it happened in (the exiting
					* one for an exit) */
	int32_t res;                   /* io_uring_complete: the result */
	uint8_t kind;                  /* enum ktrace_mark_kind */
	char comm[KT_COMM_LEN];
};

struct iter_trace {
	uint8_t source;                /* KT_SRC_NONE: not traced */
	uint8_t n_req, n_marks;
	uint16_t marks_dropped;        /* more marks than KT_MAX_MARKS */
	struct ktrace_req req[KT_MAX_REQ];
	struct ktrace_mark mark[KT_MAX_MARKS];
};

/* The traced request of kind (LAG_EV_RELEASE, ...) for file, or NULL. */
const struct ktrace_req *ktrace_find(const struct iter_trace *t, int kind,
				     int file);

/* Frame i of a stack (0: innermost) into buf: false when there is none. */
bool ktrace_frame(const char *stack, int i, char *buf, size_t cap);
/* Whether a frame of the stack is named name. */
bool ktrace_has_frame(const char *stack, const char *name);
/* Append a frame; false (and nothing appended) when it does not fit. */
bool ktrace_add_frame(char *stack, size_t cap, const char *frame);

/* The first frame that names a deferral or an exit ("delayed_fput",
 * "task_work_run", ...), else the outermost frame kept, else "". */
const char *ktrace_path(const char *stack, char *buf, size_t cap);

/* Whether a frame is tracing machinery or FUSE's request queueing, which
 * sit above the function that sent the request and say nothing of who. */
bool ktrace_frame_is_machinery(const char *frame);

/* "the child", "an io-wq worker of the child", "a kernel worker" or the
 * task's name, for req sent by pid/comm in an iteration whose child is
 * child. */
const char *ktrace_task_class(const struct ktrace_req *q, int32_t child);

/* The path and where it ran, for people: "delayed_fput",
 * "task_work_run in do_exit". */
const char *ktrace_path_words(const char *stack, char *buf, size_t cap);

/* "kworker/1:0 via delayed_fput", "the child (lagrace 4121) via
 * task_work_run in do_exit": who sent req, and from where. */
void ktrace_release_words(const struct ktrace_req *q, int32_t child,
			  char *buf, size_t cap);

/* The first n frames as "a <- b <- c" (n 0: all). */
void ktrace_stack_words(const char *stack, int n, char *buf, size_t cap);

#endif
