/*
 * duration: "100ms", "1.5s", "inf". Parsed exactly in integer arithmetic, so
 * "1.1s" is 1100000000 and never 1099999999 from a float round trip.
 */
#include "duration.h"

#include "base.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;
	uint64_t ns;
};

/* Largest first: duration_format picks the first that divides exactly. */
static const struct unit units[] = {
	{ "s", 1000000000ull },
	{ "ms", 1000000ull },
	{ "us", 1000ull },
	{ "ns", 1ull },
};

#define N_UNITS ARRAY_SIZE(units)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const struct unit *find_unit(const char *s)
{
	for (size_t i = 0; i < N_UNITS; i++)
		if (!strcmp(s, units[i].name))
			return &units[i];
	return NULL;
}

/* Integer part times the unit, refusing anything that does not fit. */
static int whole_part(const char *s, size_t n, uint64_t unit, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v && v > UINT64_MAX / unit)
		return -1;
	*out = v * unit;
	return 0;
}

/*
 * Fraction digits times the unit. Digits below one nanosecond must be zero:
 * "1.5ns" is refused rather than silently rounded.
 */
static int frac_part(const char *s, size_t n, uint64_t unit, uint64_t *out)
{
	uint64_t v = 0, scale = unit;

	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (scale >= 10 && scale % 10 == 0) {
			scale /= 10;
			v += d * scale;
		} else if (d) {
			return -1;
		}
	}
	*out = v;
	return 0;
}

int duration_parse(const char *s, uint64_t *ns, const char **why)
{
	const char *dummy;
	size_t nwhole, nfrac = 0;
	const char *frac = NULL, *p;
	const struct unit *u;
	uint64_t whole, part;

	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "empty";
		return -1;
	}
	if (!strcmp(s, "inf")) {
		*ns = DURATION_INF;
		return 0;
	}
	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	for (p = s; is_digit(*p); p++)
		;
	nwhole = (size_t)(p - s);
	if (*p == '.') {
		frac = ++p;
		for (; is_digit(*p); p++)
			;
		nfrac = (size_t)(p - frac);
	}
	if (nwhole + nfrac == 0) {
		*why = "not a number";
		return -1;
	}
	if (!*p) {
		*why = "missing unit (ns, us, ms, s)";
		return -1;
	}
	u = find_unit(p);
	if (!u) {
		*why = "unknown unit (ns, us, ms, s)";
		return -1;
	}
	if (frac_part(frac, nfrac, u->ns, &part)) {
		*why = "finer than 1ns";
		return -1;
	}
	/* UINT64_MAX itself means "inf", so a finite value must stay below. */
	if (whole_part(s, nwhole, u->ns, &whole) ||
	    whole >= UINT64_MAX - part) {
		*why = "too large";
		return -1;
	}
	*ns = whole + part;
	return 0;
}

void duration_format(uint64_t ns, char *buf, unsigned cap)
{
	const struct unit *u = &units[N_UNITS - 1];

	if (!buf || !cap)
		return;
	if (ns == DURATION_INF) {
		snprintf(buf, cap, "inf");
		return;
	}
	for (size_t i = 0; ns && i < N_UNITS; i++) {
		if (ns % units[i].ns == 0) {
			u = &units[i];
			break;
		}
	}
	snprintf(buf, cap, "%llu%s", (unsigned long long)(ns / u->ns),
		 u->name);
}
