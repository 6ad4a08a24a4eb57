/*
 * rules: which requests lagfs delays or holds, and which opens get direct_io.
 *
 * A rule is one line of words, the same on the command line (--rule) and in a
 * rules file ('#' starts a comment, blank lines are ignored):
 *
 *   OP [path=GLOB] [delay=DUR] [jitter=DUR] [prob=P] [hold] [max=DUR]
 *      [direct_io] [eintr] [keep]
 *
 *   OP        an op name of ops.h (e.g. read, write, open), or "*" for
 *             every op
 *   path=     fnmatch(3) glob against the path below the mount root ("/a/b");
 *             without FNM_PATHNAME, so "*.dat" matches "/x/y.dat"; a glob
 *             that does not start with '/' or '*' is matched as "*\/GLOB"
 *             (at any depth: "sub/x" matches "/sub/x" and "/a/sub/x")
 *   delay=    fixed completion latency; jitter= adds uniform [0, jitter)
 *   prob=     0..1, the chance the rule applies to a matching request
 *             (default 1)
 *   hold      keep the request until FUSE_INTERRUPT (reply EINTR), max=
 *             (default 60s; "inf" for no limit; then served normally) or a
 *             control-channel release (served normally)
 *   direct_io on open/create: reply with FOPEN_DIRECT_IO (uncached IO)
 *   eintr     a delay (not hold) rule that ends with EINTR on interrupt too
 *   keep      a hold that an interrupt does not end (it is only logged):
 *             the caller waits until max= or a release
 *
 * The keys are one table in rules.c (name, how the value parses, the field
 * it sets, a help line); rule_help() prints it for --help.
 *
 * The first rule whose OP and path match decides; prob then decides whether
 * it applies this time. direct_io is taken from the first matching open/create
 * rule that sets it, independent of prob.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"

#define RULE_HOLD_DEFAULT_MAX_NS (60ull * 1000000000ull)

struct rule {
	int op;              /* enum lag_op, or -1 for "*" */
	char *path_glob;     /* NULL: any path (normalised, see above) */
	uint64_t delay_ns;
	uint64_t jitter_ns;
	double prob;         /* 0..1 */
	bool hold;
	uint64_t max_ns;     /* hold limit; DURATION_INF for none */
	bool direct_io;
	bool eintr;
	bool keep;
	char *text;          /* the rule as written, for logs and "rules" */
};

/* An immutable list of rules; replaced whole, never edited in place. */
struct rule_set {
	struct rule *rules;
	size_t count;
	uint64_t op_mask;    /* bit (1 << op) set if any rule can match op */
	bool any_path;       /* some rule has a path glob */
};

/*
 * Parse one rule line (no comment, not blank). Returns 0, or -1 with a
 * one-line reason in err such as "unknown op 'raed'" or
 * "bad delay '10': missing unit (ns, us, ms, s)".
 */
int rule_parse(const char *line, struct rule *out, char *err, size_t errlen);
void rule_free(struct rule *r);

/* Limits on a rules file, so a hostile file is refused, not swallowed. */
#define RULES_MAX_LINES 100000
#define RULES_MAX_LINE_LEN 4096

struct rule_set *rule_set_new(void);
/* Append a parsed rule (takes ownership of *r's strings). -1 on ENOMEM. */
int rule_set_add(struct rule_set *rs, struct rule *r);
/* Parse a line and append it; comments and blank lines are accepted and add
 * nothing. Returns 0 or -1 with err set (as rule_parse). */
int rule_set_add_line(struct rule_set *rs, const char *line, char *err,
		      size_t errlen);
/* Deep copy (for "add a rule" on a live set). */
struct rule_set *rule_set_dup(const struct rule_set *rs);
/*
 * Load a rules file. Returns a new set, or NULL with err set to one line
 * naming file and line: "x.rules:3: unknown op 'raed'", or
 * "x.rules: No such file or directory".
 */
struct rule_set *rule_set_load(const char *file, char *err, size_t errlen);
void rule_set_free(struct rule_set *rs);

/*
 * The first rule matching op and path (path may be NULL when no rule in the
 * set has a glob; a rule with a glob never matches a NULL path). Returns
 * NULL when none matches. Does not draw prob.
 */
const struct rule *rule_set_match(const struct rule_set *rs, int op,
				  const char *path);

/* Whether r applies this time: draws prob with the given random state
 * (rand_r style seed, one per thread). */
bool rule_applies(const struct rule *r, unsigned *seed);

/* Delay for one application of r: delay + uniform jitter. */
uint64_t rule_delay_ns(const struct rule *r, unsigned *seed);

/* Whether any open/create rule matching path sets direct_io. */
bool rule_set_direct_io(const struct rule_set *rs, int op, const char *path);

/* The rule syntax and a line per key, for --help. */
void rule_help(FILE *out);

/* Whether path matches glob as a rule's path= would (same normalisation);
 * for globs from elsewhere, e.g. the control channel's "release GLOB". */
bool rule_glob_match(const char *glob, const char *path);

#endif
