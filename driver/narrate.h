/*
 * narrate: --explain's running commentary on one iteration, printed as it
 * happens: each step with its real time (ms since the iteration began),
 * who acted (lagrace, the child, lagfs, the kernel), and, whenever it
 * changes, who holds the last reference to the child's file: the child, its
 * io-wq worker or its in-flight request, deferred kernel work, or nobody.
 */
#ifndef NARRATE_H
#define NARRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lag_event.h"

struct narrator {
	bool on;
	uint64_t t0;
	pid_t child;
	bool killed, reaped, worker_io;
	const char *holder;
};

/* A step lagrace took or saw, at time t (0: now). */
__attribute__((format(printf, 4, 5)))
void narrate(struct narrator *n, uint64_t t, const char *who,
	     const char *fmt, ...);
/* A lagfs event; childs: it concerns a file the child opened. */
void narrate_event(struct narrator *n, const struct lag_event *e, bool childs);
/* Who holds the file reference from now on (printed when it changes). */
void narrate_holder(struct narrator *n, const char *holder);

#endif
