#include "scenario.h"

#include <string.h>

extern const struct engine_ops engine_uring, engine_mixed;

#define MS 1000000ull

static void async_dio(struct race_cfg *c)
{
	c->engine = &engine_uring;
	c->eo.direct = true;
	c->eo.async = false;
	c->rules[0] = RULE_HOLD_READ;
	c->arrival = ARRIVE_PARK;
}

static void exit_punt(struct race_cfg *c)
{
	c->engine = &engine_uring;
	c->eo.direct = false;
	c->eo.async = true;
	c->rules[0] = RULE_DIRECT_IO;
	c->rules[1] = RULE_HOLD_READ_KEEP;
	c->arrival = ARRIVE_PARK;
	c->release_on_exit = true;
	/* Else an io-wq worker that exits after the child closes the
	 * descriptors itself, before the reap, now and then. */
	c->eo.close_in_flight = true;
	/* With async DIO (libfuse's default) the punted read would become a
	 * background request that no kill interrupts: the async-dio case. */
	c->fuse_opts = "no_async_dio";
}

static void chance(struct race_cfg *c)
{
	c->engine = &engine_mixed;
	c->eo.nfiles = 8;
	c->arrival = ARRIVE_OPEN;
	c->kill_jitter_ns = 20 * MS;
}

const struct scenario scenarios[] = {
	{ "async-dio", "O_DIRECT io_uring read held by lagfs (default)",
	  async_dio },
	{ "exit-punt", "IOSQE_ASYNC buffered read on a direct_io file, "
		       "ended by the kill's interrupt", exit_punt },
	{ "chance", "random op mix killed at a random moment, as generic/388",
	  chance },
	{ NULL, NULL, NULL }
};

const struct scenario *scenario_find(const char *name)
{
	for (const struct scenario *s = scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
