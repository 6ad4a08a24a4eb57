/*
 * duration: parse and print the durations users type ("100ms", "1.5s").
 * Units: ns, us, ms, s. A bare number is refused: a unit is always required,
 * because "100" meaning 100 ns or 100 ms is the classic mistake.
 */
#ifndef DURATION_H
#define DURATION_H

#include <stdint.h>

/*
 * Parse s into nanoseconds. "inf" gives DURATION_INF. Returns 0, or -1 with
 * a short reason in *why (a static string), e.g. "missing unit (ns, us, ms,
 * s)", "negative", "too large", "not a number".
 */
#define DURATION_INF UINT64_MAX
int duration_parse(const char *s, uint64_t *ns, const char **why);

/* Print ns with the largest unit that keeps it exact, e.g. "100ms", "1500us". */
void duration_format(uint64_t ns, char *buf, unsigned cap);

#endif
