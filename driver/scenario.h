/*
 * scenario: each scenario is complete data, a struct race_cfg's part that
 * says what the child does and what lagfs does to it (the README explains
 * them); the command line then changes it field by field (options.c).
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
	const char *summary;           /* one line for --help */
	enum engine_id engine;
	struct engine_opts eo;         /* but dir, seed and cue_fd */
	struct lagfs_setup lagfs;
	uint64_t kill_jitter_ns;       /* a random wait before the kill */
};

/* Indexed by enum scenario_id. */
extern const char *const scenario_names[SCENARIO_N];
extern const struct scenario scenarios[SCENARIO_N];

/* c's scenario's name, or "none" (-- CMD without --scenario). */
const char *scenario_name(const struct race_cfg *c);

/* Set c's scenario part from c->scenario's data. */
void scenario_apply(struct race_cfg *c);
/* c->rules: the lagfs rules that c->lagfs and c->eo.write ask for. */
void scenario_lagfs_rules(struct race_cfg *c);

#endif
