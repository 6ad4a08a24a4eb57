/*
 * workload_cfg: the part of lagrace's configuration that a workload of the
 * user's own asks for (lagrace [OPTION]... -- CMD [ARG]...): the command,
 * the user's lagfs rules (--rule, --rules FILE), what they make lagfs do
 * (hold or not), and when to kill (--kill-on, --kill-after, --kill-at).
 * Bad input is one line on stderr and exit status 2, before anything is
 * mounted.
 */
#ifndef WORKLOAD_CFG_H
#define WORKLOAD_CFG_H

#include <stdbool.h>

#include "race.h"

/* Whether a lagfs rule makes lagfs park what it matches (hold, delay=). */
bool workload_rule_parks(const char *rule);

/*
 * --mount DIR: what lagrace needs of a lagfs somebody else mounted, asked
 * before anything runs: its control socket answers, its log can be read,
 * and when lagrace kills at a park, one of its rules parks requests.
 */
void workload_check_mount(const struct race_cfg *c);

/* The index of the "--" that ends lagrace's options in argv, or argc. */
int workload_split(int argc, char **argv);

/* After the scenario's rules are made: the command (argv from cmd on, or
 * none), the user's rules added to the scenario's (which the command
 * engine drops unless scenario_given), the hold they make, the kill. */
void workload_cfg(struct race_cfg *c, char **cmd, bool scenario_given);

#endif
