/*
 * options: lagrace's command line into a struct race_cfg. One table of
 * options (options.c, in the manner of git's OPT_* arrays) yields the long
 * options of lagrace and of lagrace matrix, --help, the range and choice
 * checks and their error messages. Bad input is one line on stderr and exit
 * status 2 (usage errors never return).
 *
 * The configuration is built in one place, options_parse(): lagrace's
 * defaults, then the scenario's data (scenario.c), then each option given,
 * field by field, then the lagfs rules those ask for.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "race.h"

enum opt_kind {
	OPT_GROUP,      /* no option: a heading in --help */
	OPT_FLAG,       /* no argument: sets the field to value */
	OPT_COUNT,      /* a whole number from min to max */
	OPT_DURATION,   /* a finite duration ("100ms") of at least min ns */
	OPT_CHOICE,     /* one of names[]: the field is its index */
	OPT_STRING,     /* any text: the field points to it */
	OPT_LIST,       /* repeatable text: the field is a NULL-ended array
			 * of RACE_MAX_RULES + 1 pointers, appended to */
	OPT_HELP,
	OPT_VERSION,
};

/* race_opt.flags: lagrace matrix takes the option and passes it to every
 * row. */
#define OPT_MATRIX 1u
#define OPT_AUTO 2u     /* COUNT: "auto" is also taken, stored as 0 */

struct race_opt {
	const char *name;              /* --name */
	enum opt_kind kind;
	size_t off, size;              /* the field of struct race_cfg */
	unsigned long long min, max;   /* COUNT: range; DURATION: min */
	unsigned value;                /* FLAG */
	const char *const *names;      /* CHOICE: NULL entries not offered */
	unsigned n_names;
	const char *noun;              /* CHOICE: "unknown NOUN 'x' (a, b)";
					* without: "--name 'x': a or b" */
	const char *arg;               /* the argument in --help ("N") */
	const char *help;              /* one line in --help */
	unsigned flags;
};

typedef void opt_take_fn(const struct race_opt *o, const char *arg,
			 void *ctx);

/*
 * getopt_long over the options that have every flag of need: take() for
 * each one given, in order (-h is --help). An unknown option, a missing
 * argument or an argument that is no option is one line from who ("lagrace
 * matrix: unknown option '--x' (try 'lagrace matrix --help')"), exit 2.
 */
void options_scan(int argc, char **argv, unsigned need, const char *who,
		  opt_take_fn *take, void *ctx);
/* head, then "[--name ARG]" for each option with flags need, wrapped to
 * 80 columns under the first. */
void options_synopsis(FILE *to, const char *head, unsigned need);

void options_parse(int argc, char **argv, struct race_cfg *cfg);
void options_usage(FILE *to);
/* --lagfs PATH must be a program we may run, else one line and exit 2. */
void options_check_lagfs(const char *path);

/* lagrace NAME ...: the sub-commands, in --help as "lagrace NAME args". */
struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);   /* argv[0] is NAME */
	const char *args;                     /* its arguments in --help */
	unsigned opt_flags;                   /* or: the table's options with
					       * these flags */
	const char *help;
};
/* NULL if name is none. */
const struct subcommand *subcommand_find(const char *name);

#endif
