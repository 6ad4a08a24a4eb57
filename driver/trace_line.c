#include "trace_line.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static const struct { const char *name; enum trace_rec_kind kind; } events[] = {
	{ "fuse_request_send", TR_FUSE_SEND },
	{ TRACE_KPROBE_EVENT, TR_KPROBE_RELEASE },
	{ "sched_process_exit", TR_EXIT },
	{ "io_uring_create", TR_URING_CREATE },
	{ "io_uring_queue_async_work", TR_URING_PUNT },
	{ "io_uring_task_add", TR_URING_TASK_ADD },
	{ "io_uring_task_work_run", TR_URING_TW_RUN },
	{ "io_uring_complete", TR_URING_COMPLETE },
	{ "workqueue_execute_start", TR_WORK },
};

/* The name at p, up to one of stop, into dst: false if none or too long. */
static bool name_at(const char *p, const char *stop, char *dst, size_t cap)
{
	size_t len = strcspn(p, stop);

	if (!len || len >= cap)
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return true;
}

/* " => fuse_file_put+0x12/0x80 [fuse]" */
static int frame(const char *p, struct trace_rec *r)
{
	p += strspn(p, " ");
	if (strncmp(p, "=> ", 3) ||
	    !name_at(p + 3, "+ ", r->frame, sizeof(r->frame)))
		return TR_NONE;
	return r->kind = TR_FRAME;
}

/* "connection 40 req 14 opcode 18 (FUSE_RELEASE) len 64" */
static int fuse_send(const char *body, struct trace_rec *r)
{
	if (sscanf(body, "connection %" SCNu32 " req %" SCNu64 " opcode %"
		   SCNu32, &r->conn, &r->unique, &r->opcode) != 3)
		return TR_NONE;
	return TR_FUSE_SEND;
}

/* The number after "key" in body (keys end in a space or '='). */
static bool after(const char *body, const char *key, int base, uint64_t *v)
{
	const char *p = strstr(body, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	*v = strtoull(p, &end, base);
	return end != p;
}

static bool after_signed(const char *body, const char *key, int32_t *v)
{
	const char *p = strstr(body, key);
	char *end;
	long n;

	if (!p)
		return false;
	p += strlen(key);
	n = strtol(p, &end, 10);
	*v = (int32_t)n;
	return end != p;
}

/* "(fuse_file_put+0x0/0xa0 [fuse]) conn=40 refs=1", or "(fuse_release+...)" */
static int kprobe(const char *body, struct trace_rec *r)
{
	uint64_t v;

	if (body[0] != '(')
		return TR_NONE;
	/* a kprobe on fuse_release fetches nothing: conn 0 */
	if (after(body, " conn=", 0, &v))
		r->conn = (uint32_t)v;
	if (after(body, " refs=", 0, &v))
		r->refs = (uint32_t)v;
	return TR_KPROBE_RELEASE;
}

/* "comm=lagrace pid=15577 prio=120 group_dead=true" */
static int proc_exit(const char *body, struct trace_rec *r)
{
	const char *c = strstr(body, "comm="), *p = strstr(body, " pid=");
	size_t len;

	if (!c || !p || p < c)
		return TR_NONE;
	c += 5;
	len = (size_t)(p - c);
	if (len >= sizeof(r->exit_comm))
		len = sizeof(r->exit_comm) - 1;
	memcpy(r->exit_comm, c, len);
	r->exit_comm[len] = '\0';
	/* 6.1 prints "comm= " with the option hash-ptr off; the exiting task
	 * is the one the event happened in */
	if (!len)
		snprintf(r->exit_comm, sizeof(r->exit_comm), "%s", r->comm);
	return after_signed(p, " pid=", &r->exit_pid) ? TR_EXIT : TR_NONE;
}

static int uring(const char *body, int kind, struct trace_rec *r)
{
	if (kind == TR_URING_TW_RUN)
		return kind;
	if (!after(body, "ring ", 16, &r->ring))
		return TR_NONE;
	if (kind == TR_URING_COMPLETE && !after_signed(body, "result ", &r->res))
		return TR_NONE;
	return kind;
}

/* "work struct ffff888102de3c10: function io_ring_exit_work" */
static int work(const char *body, struct trace_rec *r)
{
	const char *f = strstr(body, "function ");

	if (!after(body, "work struct ", 16, &r->work) || !f ||
	    !name_at(f + 9, " ", r->func, sizeof(r->func)))
		return TR_NONE;
	return TR_WORK;
}

static int body_of(int kind, const char *body, struct trace_rec *r)
{
	switch (kind) {
	case TR_WORK: return work(body, r);
	case TR_FUSE_SEND: return fuse_send(body, r);
	case TR_KPROBE_RELEASE: return kprobe(body, r);
	case TR_EXIT: return proc_exit(body, r);
	default: return uring(body, kind, r);
	}
}

/* "  kworker/1:0-12257 [001] ...2. ": name and pid before the CPU. Returns
 * where the CPU's "[" is, or NULL. */
static const char *task(const char *line, struct trace_rec *r)
{
	const char *cpu, *dash, *start;
	size_t len;

	/* the first "[digits]" after a space */
	for (cpu = strchr(line, '['); cpu; cpu = strchr(cpu + 1, '[')) {
		size_t d = strspn(cpu + 1, "0123456789");

		if (cpu > line && cpu[-1] == ' ' && d && cpu[1 + d] == ']')
			break;
	}
	if (!cpu)
		return NULL;
	dash = cpu - 1;
	while (dash > line && *dash == ' ')
		dash--;
	/* an optional "( tgid)" column */
	if (*dash == ')') {
		while (dash > line && *dash != '(')
			dash--;
		while (dash > line && dash[-1] == ' ')
			dash--;
		dash--;
	}
	while (dash > line && isdigit((unsigned char)*dash))
		dash--;
	if (*dash != '-')
		return NULL;
	r->pid = atoi(dash + 1);
	start = line + strspn(line, " ");
	len = dash > start ? (size_t)(dash - start) : 0;
	if (len >= sizeof(r->comm))
		len = sizeof(r->comm) - 1;
	memcpy(r->comm, start, len);
	r->comm[len] = '\0';
	r->cpu = atoi(cpu + 1);
	return cpu;
}

/* "7378.718544:" into ns: the first token after the CPU that is a time.
 * Returns what follows it, or NULL. */
static const char *timestamp(const char *p, struct trace_rec *r)
{
	for (p += strspn(p, " "); *p; p += strspn(p, " ")) {
		size_t sec = strspn(p, "0123456789"), frac;

		if (sec && p[sec] == '.') {
			frac = strspn(p + sec + 1, "0123456789");
			if (frac && frac <= 9 && p[sec + 1 + frac] == ':') {
				uint64_t f = strtoull(p + sec + 1, NULL, 10);

				for (size_t i = frac; i < 9; i++)
					f *= 10;
				r->t_ns = strtoull(p, NULL, 10) * 1000000000ull + f;
				return p + sec + 1 + frac + 1;
			}
		}
		p += strcspn(p, " ");
	}
	return NULL;
}

int trace_line_parse(const char *line, struct trace_rec *r)
{
	const char *p, *name;
	size_t nlen;

	memset(r, 0, sizeof(*r));
	if (line[0] == '#')
		return TR_NONE;
	if (!strncmp(line + strspn(line, " "), "=> ", 3))
		return frame(line, r);
	p = task(line, r);
	if (!p || !(p = timestamp(strchr(p, ']') + 1, r)))
		return r->kind = TR_NONE;
	name = p + strspn(p, " ");
	if (!strncmp(name, "<stack trace>", 13))
		return r->kind = TR_STACK;
	nlen = strcspn(name, ":");
	if (name[nlen] != ':')
		return r->kind = TR_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(events); i++)
		if (strlen(events[i].name) == nlen &&
		    !strncmp(name, events[i].name, nlen)) {
			r->kind = (uint8_t)body_of(events[i].kind,
						   name + nlen + 1 +
						   strspn(name + nlen + 1, " "),
						   r);
			return r->kind;
		}
	return r->kind = TR_NONE;
}
