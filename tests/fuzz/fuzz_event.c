/*
 * fuzz_event: libFuzzer target for the event-log format (common/lag_event.c),
 * the contract between lagfs (writer) and lagrace (reader). scripts/fuzz
 * builds and runs it; the seeds are in tests/fuzz/corpus/event/ (real log
 * lines, one per file, and a few made by hand).
 *
 * One input is used two ways:
 *   1. as a log line: lag_event_parse; when it parses, lag_event_format must
 *      write one line that fits LAG_LINE_MAX, parses again to the same
 *      fields (t_ns, ev and its kind, unique, pid, uid, ino, fh, path
 *      bytes, flags, result, delay_ns, path_cut, op, how, hold,
 *      open_t_ns, detail) and
 *      formats to the same bytes; formatting into a buffer one byte too
 *      small must fail without writing past it;
 *   2. as an event: fields and raw path bytes (any bytes, invalid UTF-8 and
 *      NUL included; optionally repeated past LAG_PATH_MAX, to be cut) taken
 *      from the input, formatted as lagfs would, parsed as lagrace would,
 *      and compared.
 * A failed check abort()s, so libFuzzer reports it as a crash.
 *
 * Built with -DFUZZ_SELFTEST it also aborts on any input that contains
 * "LAGFS-SELFTEST": tests/integration/fuzz_short.sh uses that to show that
 * scripts/fuzz does catch and report a crash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "lag_event.h"

#define FUZZ_NAME "fuzz_event"
#include "fuzz.h"

/* Strings in a parsed event are NUL-terminated within their arrays. */
static void check_parsed(const struct lag_event *e)
{
	CHECK(e->kind < LAG_EV_N);
	CHECK(memchr(e->op, '\0', sizeof(e->op)));
	CHECK(memchr(e->how, '\0', sizeof(e->how)));
	CHECK(memchr(e->detail, '\0', sizeof(e->detail)));
	CHECK(e->path_len <= LAG_PATH_MAX);
	CHECK(e->path[e->path_len] == '\0');
}

static void diff(const char *field, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_event: round trip changed %s: %s -> %s\n", field,
		a, b);
	abort();
}

/*
 * The integer fields, for comparing and for making an event of the input:
 * where in the event, how wide (4 or 8 bytes) and whether signed. The
 * first ones are taken from the input, in this order and width; kind and
 * path_len follow from ev and the path.
 */
struct int_field {
	const char *name;
	size_t off, size;
	bool is_signed;
};

#define INT_FIELD(f)                                                       \
	{ #f, offsetof(struct lag_event, f),                               \
	  sizeof(((struct lag_event *)0)->f),                              \
	  (__typeof__(((struct lag_event *)0)->f))-1 < 0 }

static const struct int_field ints[] = {
	INT_FIELD(t_ns), INT_FIELD(unique), INT_FIELD(pid), INT_FIELD(uid),
	INT_FIELD(ino), INT_FIELD(fh), INT_FIELD(flags), INT_FIELD(result),
	INT_FIELD(delay_ns), INT_FIELD(hold), INT_FIELD(open_t_ns),
	/* not taken from the input */
	INT_FIELD(kind), INT_FIELD(path_len),
};
#define N_TAKEN (ARRAY_SIZE(ints) - 2)

static long long int_get(const struct lag_event *e, const struct int_field *f)
{
	const char *p = (const char *)e + f->off;
	int64_t s64;
	int32_t s32;
	uint32_t u32;

	if (f->size == 8) {
		memcpy(&s64, p, 8);
		return s64;
	}
	if (f->is_signed) {
		memcpy(&s32, p, 4);
		return s32;
	}
	memcpy(&u32, p, 4);
	return u32;
}

/* The low f->size bytes of v, as a cast to the field's type keeps them. */
static void int_set(struct lag_event *e, const struct int_field *f,
		    uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	memcpy((char *)e + f->off, f->size == 8 ? (void *)&v : (void *)&v32,
	       f->size);
}

static void same_int(const struct lag_event *a, const struct lag_event *b,
		     const struct int_field *f)
{
	char x[32], y[32];

	if (int_get(a, f) == int_get(b, f))
		return;
	snprintf(x, sizeof(x), "%lld", int_get(a, f));
	snprintf(y, sizeof(y), "%lld", int_get(b, f));
	diff(f->name, x, y);
}

#define SAME_STR(a, b, f)                                                  \
	do {                                                               \
		if (strcmp((a)->f, (b)->f))                                \
			diff(#f, (a)->f, (b)->f);                          \
	} while (0)

/* The fields a reader sees; strings as C strings, path_cut as a flag (the
 * writer writes any non-zero path_cut as 1). */
static void same_event(const struct lag_event *a, const struct lag_event *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		same_int(a, b, &ints[i]);
	if (strcmp(lag_event_ev(a), lag_event_ev(b)))
		diff("ev", lag_event_ev(a), lag_event_ev(b));
	if (memcmp(a->path, b->path, a->path_len))
		diff("path", a->path, b->path);
	SAME_STR(a, b, op);
	SAME_STR(a, b, how);
	SAME_STR(a, b, detail);
	if (!a->path_cut != !b->path_cut)
		diff("path_cut", a->path_cut ? "set" : "0",
		     b->path_cut ? "set" : "0");
}

/* The line lag_event_format writes for e (heap, exact size); its length in
 * *len. The format must always fit LAG_LINE_MAX. */
static char *format(const struct lag_event *e, size_t *len)
{
	char *buf = malloc(LAG_LINE_MAX);
	char *exact;
	size_t n;

	CHECK(buf);
	n = lag_event_format(e, buf, LAG_LINE_MAX);
	CHECK(n > 0 && n < LAG_LINE_MAX);
	CHECK(buf[n - 1] == '\n' && buf[n] == '\0');
	/* one line: no other newline, and no NUL byte inside */
	CHECK(!memchr(buf, '\n', n - 1) && !memchr(buf, '\0', n));
	exact = malloc(n + 1);
	CHECK(exact);
	memcpy(exact, buf, n + 1);
	free(buf);
	*len = n;
	return exact;
}

/* A buffer of exactly n + 1 bytes is enough (the NUL), n is not, and a
 * write past the buffer shows up under AddressSanitizer. */
static void check_caps(const struct lag_event *e, const char *line, size_t n)
{
	char *fit = malloc(n + 1), *shy = malloc(n);

	CHECK(fit && shy);
	CHECK(lag_event_format(e, fit, n + 1) == n && !memcmp(fit, line, n + 1));
	CHECK(lag_event_format(e, shy, n) == 0);
	free(shy);
	free(fit);
}

/* format -> parse -> same fields -> format -> same bytes */
static void round_trip(const struct lag_event *e, bool caps)
{
	struct lag_event *back = malloc(sizeof(*back));
	char err[256];
	size_t n, n2;
	char *line, *again;

	CHECK(back);
	line = format(e, &n);
	if (lag_event_parse(line, n, back, err, sizeof(err))) {
		fprintf(stderr, "fuzz_event: own line does not parse: %s\n%s",
			err, line);
		abort();
	}
	check_parsed(back);
	same_event(e, back);
	again = format(back, &n2);
	CHECK(n2 == n && !memcmp(again, line, n));
	if (caps)
		check_caps(e, line, n);
	free(again);
	free(line);
	free(back);
}

/* ---- 2: an event made of the input ------------------------------------ */

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = 0; i < bytes; i++) {
		v = v << 8 | (r->left ? *r->p : 0);
		if (r->left) {
			r->p++;
			r->left--;
		}
	}
	return v;
}

/* A string field of up to cap - 1 bytes, without NUL and kept ASCII (a
 * string that is not valid UTF-8 comes back as U+FFFD by design; only the
 * path keeps its exact bytes). */
static void take_str(struct reader *r, char *dst, size_t cap)
{
	size_t n = (size_t)take(r, 1) % cap;

	for (size_t i = 0; i < n; i++) {
		char c = (char)(take(r, 1) & 0x7f);

		dst[i] = c ? c : '?';
	}
	dst[n] = '\0';
}

static void from_bytes(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct lag_event *e = malloc(sizeof(*e));
	char ev[sizeof(e->op)];
	uint8_t mode;

	CHECK(e);
	lag_event_init(e, LAG_EV_ANSWER);
	for (size_t i = 0; i < N_TAKEN; i++)
		int_set(e, &ints[i], take(&r, ints[i].size));
	take_str(&r, ev, sizeof(ev));
	take_str(&r, e->op, sizeof(e->op));
	/* a kind's name, or an op's: an answer, whose op is its ev */
	lag_event_set_ev(e, ev);
	take_str(&r, e->how, sizeof(e->how));
	take_str(&r, e->detail, sizeof(e->detail));
	mode = (uint8_t)take(&r, 1);
	if (mode & 1) {
		/* the rest repeated past LAG_PATH_MAX: set_path cuts it */
		size_t want = LAG_PATH_MAX + 1 + mode, n = 0;
		char *big = malloc(want);

		CHECK(big);
		while (n < want) {
			big[n] = r.left ? (char)r.p[n % r.left] : (char)mode;
			n++;
		}
		lag_event_set_path(e, big, want);
		CHECK(e->path_cut && e->path_len == LAG_PATH_MAX);
		free(big);
	} else {
		lag_event_set_path(e, (const char *)r.p, r.left);
		if (r.left > LAG_PATH_MAX)	/* only without -max_len */
			CHECK(e->path_cut && e->path_len == LAG_PATH_MAX);
		else
			CHECK(!e->path_cut && e->path_len == r.left);
	}
	round_trip(e, false);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lag_event *e = malloc(sizeof(*e));
	char err[256];

#ifdef FUZZ_SELFTEST
	if (memmem(data, size, "LAGFS-SELFTEST", 14)) {
		fprintf(stderr, "fuzz_event: FUZZ_SELFTEST input, aborting\n");
		abort();
	}
#endif
	CHECK(e);
	/* 1: the input as a log line */
	if (lag_event_parse((const char *)data, size, e, err, sizeof(err))) {
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	} else {
		check_parsed(e);
		round_trip(e, true);
	}
	free(e);

	/* 2: the input as an event */
	from_bytes(data, size);
	return 0;
}
