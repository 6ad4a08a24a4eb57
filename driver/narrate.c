#include "narrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void narrate(struct narrator *n, uint64_t t, const char *who,
	     const char *fmt, ...)
{
	va_list ap;

	if (!n->on)
		return;
	if (!t)
		t = lag_now_ns();
	printf("%+9.3f ms  %-8s ", ((double)t - (double)n->t0) / 1e6, who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void narrate_holder(struct narrator *n, const char *holder)
{
	if (!n->on || (n->holder && !strcmp(n->holder, holder)))
		return;
	n->holder = holder;
	printf("%13s %-8s -> the file is now held by %s\n", "", "kernel",
	       holder);
	fflush(stdout);
}

static const char *op_of(const struct lag_event *e)
{
	return e->op[0] ? e->op : e->ev;
}

void narrate_event(struct narrator *n, const struct lag_event *e, bool childs)
{
	bool worker = e->pid && e->pid != n->child;

	if (!n->on || (!childs && e->pid != n->child))
		return;
	if (!strcmp(e->ev, LAG_EV_OPEN) || !strcmp(e->ev, LAG_EV_CREATE)) {
		narrate(n, e->t_ns, "lagfs", "OPEN %s by the child (pid %ld), "
			"fh %lu", e->path, (long)e->pid, (unsigned long)e->fh);
		narrate_holder(n, "the child (an open file descriptor)");
	} else if (!strcmp(e->ev, LAG_EV_PARK)) {
		n->worker_io = worker;
		narrate(n, e->t_ns, "lagfs", "%s of %s arrived from %s %ld; "
			"lagfs %s it", op_of(e), e->path,
			worker ? "io-wq worker" : "the child,", (long)e->pid,
			e->hold ? "holds" : "delays");
	} else if (!strcmp(e->ev, LAG_EV_INTERRUPT)) {
		narrate(n, e->t_ns, "kernel", "FUSE_INTERRUPT for the held %s: "
			"the kill reached the thread waiting for it", op_of(e));
	} else if (!strcmp(e->ev, LAG_EV_FLUSH)) {
		narrate(n, e->t_ns, "lagfs", "FLUSH of %s (pid %ld): a close, "
			"%s", e->path, (long)e->pid, n->killed
			? "here the dying child's file table"
			: "the child's own, with its IO still in flight");
		if (!n->killed)
			narrate_holder(n, "the child's IO in flight only (no "
				       "descriptor is left)");
	} else if (!strcmp(e->ev, LAG_EV_RELEASE)) {
		narrate(n, e->t_ns, "lagfs", "RELEASE of %s (pid %ld): the last "
			"reference is gone%s", e->path, (long)e->pid,
			n->reaped ? ", after the reap" : "");
		narrate_holder(n, "nobody");
	} else if (e->how[0]) {
		narrate(n, e->t_ns, "lagfs", "answered the held %s (%s, result "
			"%ld) after %.3f ms", e->ev, e->how, (long)e->result,
			e->delay_ns / 1e6);
		if (n->killed && n->worker_io)
			narrate_holder(n, "deferred kernel work: the dead "
				       "task's completion goes to io_uring's "
				       "fallback work, whose final fput from "
				       "a kernel thread goes through "
				       "delayed_fput, about a jiffy each");
		else if (n->killed && !n->reaped)
			narrate_holder(n, "the dying child itself: its exit "
				       "waited for this answer and now closes "
				       "its files");
		else if (n->killed)
			narrate_holder(n, "deferred kernel work: the async "
				       "request completes for a dead task, "
				       "and its final fput from a kernel "
				       "thread goes through delayed_fput");
	}
}
