/*
 * narrate: --explain's text: a header (lagrace's version, when it ran, the
 * kernel release and HZ, the command line, the scenario and the lagfs
 * rules) and the story of one iteration (story.h), a step a line, each
 * with its time in ms relative to the kill, who acted and what happened,
 * and below it, where it changes, who holds the child's file from then on
 * and what shows it. Every line fits in 80 columns (for a mail); long
 * sentences wrap under their own column.
 */
#ifndef NARRATE_H
#define NARRATE_H

#include <stdio.h>

#include "base.h"
#include "race.h"
#include "runinfo.h"
#include "story.h"

#define NARRATE_WIDTH 80

/* prefix, then text wrapped at spaces to NARRATE_WIDTH columns, each
 * continuation line starting with cont (spaces, or "#   " in TAP). */
void narrate_wrap(FILE *out, const char *prefix, const char *cont,
		  const char *text);
/* The same, of a printf format. */
PRINTF(4, 5) void narrate_wrapf(FILE *out, const char *prefix,
				const char *cont, const char *fmt, ...);

void narrate_header(FILE *out, const struct runinfo *ri,
		    const struct iter_result *r);
/* The story of r, or a line saying why there is none. */
void narrate_story(FILE *out, const struct iter_result *r,
		   enum mitigation m);

#endif
