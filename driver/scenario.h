/*
 * scenario: named presets of struct race_cfg, each a sequence a reader can
 * learn from (the README explains them):
 *   async-dio  O_DIRECT io_uring read, lagfs holds the reply; lagrace lets it
 *              go after seeing EBUSY. Hits on every kernel known.
 *   exit-punt  buffered io_uring read forced to io-wq (IOSQE_ASYNC) on a
 *              direct_io open, lagfs without async DIO, so the worker waits
 *              synchronously; the child closes its file while the read is
 *              in flight, the kill interrupts it, lagrace lets the hold
 *              go once the child is exiting, and the completion goes to
 *              io_uring's fallback work (kernels up to 6.18).
 *   chance     an fsstress-like mix, killed at a random moment, no holds:
 *              how rarely generic/388 hits by chance.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include "race.h"

struct scenario {
	const char *name;
	const char *summary;
	void (*apply)(struct race_cfg *cfg);
};

extern const struct scenario scenarios[];
const struct scenario *scenario_find(const char *name);

/* The rules every held scenario gives lagfs (path glob of lagrace's files). */
#define RULE_HOLD_READ "read path=*.lag hold max=10s"
#define RULE_HOLD_WRITE "write path=*.lag hold max=10s"
/* exit-punt: the kill's interrupt does not end this hold; lagrace lets it
 * go once the child is exiting, so the completion is a dying task's. */
#define RULE_HOLD_READ_KEEP "read path=*.lag hold keep max=10s"
#define RULE_HOLD_WRITE_KEEP "write path=*.lag hold keep max=10s"
#define RULE_DIRECT_IO "open path=*.lag direct_io"

#endif
