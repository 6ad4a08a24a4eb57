/*
 * names: an enum's table of names, indexed by its values (NULL where a
 * value has no name), read both ways. Every list of names lagfs and lagrace
 * show or accept (event kinds, engines, scenarios, mitigations...) is one
 * such table, so the lists in error messages and --help come from it.
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

/* The index of s in names[0..n), or -1 (s NULL or not there). */
int name_index(const char *const *names, size_t n, const char *s);

/* The names joined with sep, the last two with last ("a, b or c" for
 * ", " and " or "), into buf; returns buf. */
const char *name_join(const char *const *names, size_t n, const char *sep,
		      const char *last, char *buf, size_t cap);

#endif
