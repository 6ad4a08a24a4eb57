#include "scenario.h"

#include <string.h>

#define MS 1000000ull

const char *const scenario_names[SCENARIO_N] = {
	[SCENARIO_ASYNC_DIO] = "async-dio",
	[SCENARIO_EXIT_PUNT] = "exit-punt",
	[SCENARIO_CHANCE] = "chance",
	[SCENARIO_URING_FIXED_FILE] = "uring-fixed-file",
	[SCENARIO_SCM_RIGHTS_CYCLE] = "scm-rights-cycle",
	[SCENARIO_SQPOLL_FIXED_FILE] = "sqpoll-fixed-file",
};

/* The members of the family whose engine does it all: one file, no IO for
 * lagfs to hold. */
#define HANDED_OVER(...) \
	.eo = { .qd = 1, .nfiles = 1, .bs = 4096, __VA_ARGS__ }, \
	.lagfs = { .hold = LAGFS_NO_HOLD }

const struct scenario scenarios[SCENARIO_N] = {
	[SCENARIO_ASYNC_DIO] = {
		.summary = "O_DIRECT io_uring read held by lagfs (default)",
		.engine = ENGINE_URING,
		.eo = { .qd = 1, .nfiles = 1, .bs = 4096, .direct = true },
		.lagfs = { .hold = LAGFS_HOLD },
	},
	[SCENARIO_EXIT_PUNT] = {
		.summary = "IOSQE_ASYNC buffered read on a direct_io file, "
			   "ended by the kill's interrupt",
		.engine = ENGINE_URING,
		/* Closed in flight: else an io-wq worker that exits after
		 * the child closes the descriptors itself, before the reap,
		 * now and then. */
		.eo = { .qd = 1, .nfiles = 1, .bs = 4096, .async = true,
			.close_in_flight = true },
		/* With async DIO (libfuse's default) the punted read would
		 * become a background request that no kill interrupts: the
		 * async-dio case. */
		.lagfs = { .direct_io = true, .hold = LAGFS_HOLD_KEEP,
			   .options = "no_async_dio" },
	},
	[SCENARIO_CHANCE] = {
		.summary = "random op mix killed at a random moment, as "
			   "generic/388",
		.engine = ENGINE_MIXED,
		.eo = { .qd = 1, .nfiles = 8, .bs = 4096 },
		.lagfs = { .hold = LAGFS_NO_HOLD },
		.kill_jitter_ns = 20 * MS,
	},
	[SCENARIO_URING_FIXED_FILE] = {
		.summary = "file registered with an io_uring, descriptor "
			   "closed: the ring's teardown drops it",
		.engine = ENGINE_FIXED_FILE,
		HANDED_OVER(),
	},
	[SCENARIO_SCM_RIGHTS_CYCLE] = {
		.summary = "file in flight over a unix socket in a reference "
			   "cycle: the unix garbage collector drops it",
		.engine = ENGINE_SCM_RIGHTS,
		HANDED_OVER(),
	},
	[SCENARIO_SQPOLL_FIXED_FILE] = {
		.summary = "uring-fixed-file with an SQPOLL ring: its thread is "
			   "stopped first",
		.engine = ENGINE_FIXED_FILE,
		HANDED_OVER(.sqpoll = true),
	},
};

const char *scenario_name(const struct race_cfg *c)
{
	return c->no_scenario ? "none" : scenario_names[c->scenario];
}

void scenario_apply(struct race_cfg *c)
{
	const struct scenario *s = &scenarios[c->scenario];

	c->engine = s->engine;
	c->eo = s->eo;
	c->lagfs = s->lagfs;
	c->kill_jitter_ns = s->kill_jitter_ns;
}

/* lagfs's rules, on lagrace's files (path glob *.lag); hold max=10s, in
 * case lagrace never lets go. */
static const char *const hold_rules[][2] = {
	[LAGFS_HOLD] = { "read path=*.lag hold max=10s",
			 "write path=*.lag hold max=10s" },
	[LAGFS_HOLD_KEEP] = { "read path=*.lag hold keep max=10s",
			      "write path=*.lag hold keep max=10s" },
};
#define RULE_DIRECT_IO "open path=*.lag direct_io"

void scenario_lagfs_rules(struct race_cfg *c)
{
	int n = 0;

	memset(c->rules, 0, sizeof(c->rules));
	if (c->lagfs.direct_io)
		c->rules[n++] = RULE_DIRECT_IO;
	if (c->lagfs.hold != LAGFS_NO_HOLD)
		c->rules[n++] = hold_rules[c->lagfs.hold][c->eo.write];
}
