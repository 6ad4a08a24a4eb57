/*
 * options: lagrace's command line into a struct race_cfg. Bad input is one
 * line on stderr and exit status 2 (usage errors never return).
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdio.h>

#include "race.h"

void options_parse(int argc, char **argv, struct race_cfg *cfg);
void options_usage(FILE *to);

#endif
