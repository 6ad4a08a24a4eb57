/*
 * story_check: what the unit tests of a story compare: the holders it
 * names in order ("the child|the dying child|nobody|"), and whether two
 * stories (one told live, one rebuilt from the JSON document) are the
 * same, step for step.
 */
#ifndef STORY_CHECK_H
#define STORY_CHECK_H

#include <stdio.h>
#include <string.h>

#include "story.h"

static inline const char *holders(const struct story *s)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n; i++)
		if (s->step[i].holder != H_SAME)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s|",
						story_holder_name(s->step[i].holder));
	return buf;
}

/* The first step where a and b differ in time, holder, words, why or
 * who; -1 when they are the same story (s->n when one is longer). */
static inline int story_differs(const struct story *a, const struct story *b)
{
	for (int i = 0; i < a->n && i < b->n; i++) {
		const struct story_step *x = &a->step[i], *y = &b->step[i];

		if (x->t_ns != y->t_ns || x->holder != y->holder ||
		    strcmp(x->text, y->text) || strcmp(x->why, y->why) ||
		    strcmp(x->who, y->who))
			return i;
	}
	return a->n == b->n ? -1 : (a->n < b->n ? a->n : b->n);
}

#endif
