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
 *   uring-fixed-file  the child registers its file with an io_uring and
 *              closes the descriptor; no IO, no hold: the ring, torn down
 *              by a work queue after the reap, drops the file.
 *   scm-rights-cycle  the child sends its file over a unix socket in a
 *              reference cycle and never receives it; no IO, no hold: the
 *              unix garbage collector drops it after the reap.
 *   sqpoll-fixed-file  uring-fixed-file on an SQPOLL ring.
 * The last three run on any filesystem (--fs, other_fs.h).
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
