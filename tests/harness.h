/*
 * harness: the unit tests' harness, with the interface of the kernel's
 * kselftest harness (tools/testing/selftests/kselftest_harness.h), written
 * anew for lagfs. What it promises:
 *
 *  - TEST(name) { ... } registers itself; main() is TEST_HARNESS_MAIN.
 *  - Every test runs in a child process (and process group) of its own,
 *    with a timeout (TEST_TIMEOUT_DEFAULT seconds, 30 unless defined before
 *    the include; TEST_TIMEOUT and TEST_F_TIMEOUT set one test's): a
 *    crash, a hang or a failed ASSERT ends that test only, and the next
 *    one runs.
 *  - A failed EXPECT_* or ASSERT_* prints file:line, the test, both
 *    expressions and both values. EXPECT_* goes on, ASSERT_* ends the test
 *    (its fixture's teardown still runs). A statement right after either
 *    runs only when it failed: EXPECT_EQ(want, got) TH_LOG("row %d", i);
 *    Integers compare by value whatever their types (-1 is less than 0u).
 *  - TAP on stdout: "TAP version 13", the plan, then one line per test,
 *    "ok 3 global.parse", "not ok 4 rules.bad_line", "ok 5 sink.full #
 *    SKIP no /dev/full", and "#" lines for everything else. Exit status 0
 *    when no test failed, 1 when one did, 2 for a bad command line.
 *  - -l lists the tests; -t NAME (repeatable) runs the tests NAME names: a
 *    test, a fixture, fixture.variant, or the full name of the TAP line.
 *
 * FIXTURE(f) { ... }, FIXTURE_SETUP(f), FIXTURE_TEARDOWN(f) and
 * TEST_F(f, name) give tests data of their own (self), set up and torn down
 * in the test's process. FIXTURE_VARIANT(f) { ... } and
 * FIXTURE_VARIANT_ADD(f, v) { ... } run each TEST_F of f once per variant
 * (as "f.v.name"): a table of cases, each case a test with a name.
 * ASSERT_* belongs in the test's own thread (it jumps out of the test);
 * EXPECT_* may be used anywhere in the test's process.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 30
#endif

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

struct __test_metadata;

struct __fixture_variant_metadata {
	const char *name;
	const void *data;
	int line;
	struct __fixture_variant_metadata *next;
};

struct __fixture_metadata {
	const char *name;
	size_t self_size;
	void (*setup)(struct __test_metadata *, void *, const void *);
	void (*teardown)(struct __test_metadata *, void *, const void *);
	struct __fixture_variant_metadata *variants;
	bool listed;		/* while the runner walks the fixtures */
};

/* What the test's process tells the runner: shared memory. */
struct th_result {
	int failed;
	int skipped;
	char reason[512];
};

struct __test_metadata {
	const char *name;
	struct __fixture_metadata *fixture;
	void (*fn)(struct __test_metadata *, void *, const void *);
	int timeout;		/* seconds */
	int line;		/* tests run in the order of the source */
	struct __test_metadata *next;
	/* while it runs, in its own process */
	jmp_buf *env;		/* where a failed ASSERT goes */
	struct th_result *result;
};

static struct __fixture_metadata th_global __attribute__((unused)) = {
	.name = "global",
};
static struct __test_metadata *th_tests;

/* ---- registration --------------------------------------------------- */

static inline void th_register(struct __test_metadata *t)
{
	struct __test_metadata **p = &th_tests;

	while (*p && (*p)->line < t->line)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

static inline void th_register_variant(struct __fixture_metadata *f,
				       struct __fixture_variant_metadata *v)
{
	struct __fixture_variant_metadata **p = &f->variants;

	while (*p && (*p)->line < v->line)
		p = &(*p)->next;
	v->next = *p;
	*p = v;
}

/*
 * What the macros define is named th_*, after the fixture and the test, so
 * that no test name clashes with a function of the code under test (a
 * fixture "dq" with a test "cancel" next to dq_cancel()).
 */
#define TEST(test_name) __TEST_IMPL(test_name, TEST_TIMEOUT_DEFAULT)
#define TEST_TIMEOUT(test_name, seconds) __TEST_IMPL(test_name, seconds)

#define __TEST_IMPL(test_name, seconds)					\
	static void th_test_##test_name(struct __test_metadata *_metadata); \
	static void th_fn_##test_name(struct __test_metadata *m, void *self, \
				      const void *variant)		\
	{								\
		(void)self;						\
		(void)variant;						\
		th_test_##test_name(m);					\
	}								\
	static struct __test_metadata th_obj_##test_name = {		\
		.name = #test_name, .fn = th_fn_##test_name,		\
		.fixture = &th_global, .timeout = (seconds),		\
		.line = __LINE__,					\
	};								\
	static void __attribute__((constructor)) th_reg_##test_name(void) \
	{								\
		th_register(&th_obj_##test_name);			\
	}								\
	static void th_test_##test_name(				\
		struct __test_metadata __attribute__((unused)) *_metadata)

#define FIXTURE_DATA(f) struct th_data_##f
#define FIXTURE_VARIANT(f) struct th_variant_##f

#define FIXTURE(f)							\
	FIXTURE_VARIANT(f);						\
	FIXTURE_DATA(f);						\
	static void th_##f##_setup(struct __test_metadata *,		\
				   FIXTURE_DATA(f) *,			\
				   const FIXTURE_VARIANT(f) *);		\
	static void th_##f##_teardown(struct __test_metadata *,		\
				      FIXTURE_DATA(f) *,		\
				      const FIXTURE_VARIANT(f) *);	\
	static void th_##f##_setup_fn(struct __test_metadata *m, void *self, \
				      const void *variant)		\
	{								\
		th_##f##_setup(m, self, variant);			\
	}								\
	static void th_##f##_teardown_fn(struct __test_metadata *m,	\
					 void *self, const void *variant) \
	{								\
		th_##f##_teardown(m, self, variant);			\
	}								\
	static struct __fixture_metadata th_fixture_##f = {		\
		.name = #f, .setup = th_##f##_setup_fn,			\
		.teardown = th_##f##_teardown_fn,			\
	};								\
	FIXTURE_DATA(f)

#define FIXTURE_SETUP(f)						\
	static void th_##f##_setup(					\
		struct __test_metadata __attribute__((unused)) *_metadata, \
		FIXTURE_DATA(f) __attribute__((unused)) *self,		\
		const FIXTURE_VARIANT(f) __attribute__((unused)) *variant)

#define FIXTURE_TEARDOWN(f)						\
	static void th_##f##_teardown(					\
		struct __test_metadata __attribute__((unused)) *_metadata, \
		FIXTURE_DATA(f) __attribute__((unused)) *self,		\
		const FIXTURE_VARIANT(f) __attribute__((unused)) *variant)

#define FIXTURE_VARIANT_ADD(f, v)					\
	static const FIXTURE_VARIANT(f) th_##f##_variant_##v;		\
	static struct __fixture_variant_metadata th_##f##_variant_obj_##v = { \
		.name = #v, .data = &th_##f##_variant_##v,		\
		.line = __LINE__,					\
	};								\
	static void __attribute__((constructor))			\
	th_##f##_variant_reg_##v(void)					\
	{								\
		th_register_variant(&th_fixture_##f,			\
				    &th_##f##_variant_obj_##v);		\
	}								\
	static const FIXTURE_VARIANT(f) th_##f##_variant_##v =

#define TEST_F(f, test_name)						\
	__TEST_F_IMPL(f, test_name, TEST_TIMEOUT_DEFAULT)
#define TEST_F_TIMEOUT(f, test_name, seconds)				\
	__TEST_F_IMPL(f, test_name, seconds)

#define __TEST_F_IMPL(f, test_name, seconds)				\
	static void th_##f##_test_##test_name(				\
		struct __test_metadata *_metadata, FIXTURE_DATA(f) *self, \
		const FIXTURE_VARIANT(f) *variant);			\
	static void th_##f##_fn_##test_name(struct __test_metadata *m,	\
					    void *self, const void *variant) \
	{								\
		th_##f##_test_##test_name(m, self, variant);		\
	}								\
	static struct __test_metadata th_##f##_obj_##test_name = {	\
		.name = #test_name, .fn = th_##f##_fn_##test_name,	\
		.fixture = &th_fixture_##f,				\
		.timeout = (seconds), .line = __LINE__,			\
	};								\
	static void __attribute__((constructor))			\
	th_##f##_reg_##test_name(void)					\
	{								\
		th_fixture_##f.self_size = sizeof(FIXTURE_DATA(f));	\
		th_register(&th_##f##_obj_##test_name);			\
	}								\
	static void th_##f##_test_##test_name(				\
		struct __test_metadata __attribute__((unused)) *_metadata, \
		FIXTURE_DATA(f) __attribute__((unused)) *self,		\
		const FIXTURE_VARIANT(f) __attribute__((unused)) *variant)

#define TEST_HARNESS_MAIN						\
	int main(int argc, char **argv)					\
	{								\
		return test_harness_run(argc, argv);			\
	}

/* ---- logging and skipping ------------------------------------------- */

/* "# file:line:test:message", each line of the message a TAP comment. */
__attribute__((format(printf, 4, 5), unused))
static void th_log(const struct __test_metadata *m, const char *file,
		   int line, const char *fmt, ...)
{
	char msg[4096], *p, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s:%d:%s:", file, line, m->name);
	for (p = msg; (nl = strchr(p, '\n')); p = nl + 1)
		printf("%.*s\n# ", (int)(nl - p), p);
	printf("%s\n", p);
	fflush(stdout);
}

#define TH_LOG(fmt, ...) th_log(_metadata, __FILE__, __LINE__, fmt,	\
				##__VA_ARGS__)

__attribute__((format(printf, 2, 3), unused))
static void th_skip(struct __test_metadata *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->result->reason, sizeof(m->result->reason), fmt, ap);
	va_end(ap);
	m->result->skipped = 1;
}

/* SKIP(statement, fmt, ...): the test is skipped, for the reason given;
 * then statement, usually "return". A test that failed before stays
 * failed. */
#define SKIP(statement, fmt, ...) do {					\
	th_skip(_metadata, fmt, ##__VA_ARGS__);				\
	statement;							\
} while (0)

/* ---- comparisons ---------------------------------------------------- */

enum th_kind { TH_INT, TH_UINT, TH_FLOAT, TH_PTR };
enum th_op { TH_EQ, TH_NE, TH_LT, TH_LE, TH_GT, TH_GE };

struct th_val {
	enum th_kind kind;
	intmax_t i;
	uintmax_t u;		/* also a pointer's address */
	long double f;
};

#define TH_KIND(x) _Generic((x),					\
	_Bool: TH_UINT, char: (CHAR_MIN < 0 ? TH_INT : TH_UINT),	\
	signed char: TH_INT, short: TH_INT, int: TH_INT, long: TH_INT,	\
	long long: TH_INT, unsigned char: TH_UINT,			\
	unsigned short: TH_UINT, unsigned int: TH_UINT,			\
	unsigned long: TH_UINT, unsigned long long: TH_UINT,		\
	float: TH_FLOAT, double: TH_FLOAT, long double: TH_FLOAT,	\
	default: TH_PTR)

#define TH_VAL(x) th_val(TH_KIND(x), &(x), sizeof(x))

static inline struct th_val th_val(enum th_kind k, const void *p, size_t n)
{
	struct th_val v = { .kind = k };
	union {
		int8_t i8; int16_t i16; int32_t i32; int64_t i64;
		uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
		float f; double d; long double ld; void *p;
	} x;

	memcpy(&x, p, n < sizeof(x) ? n : sizeof(x));
	switch (k) {
	case TH_INT:
		v.i = n == 1 ? x.i8 : n == 2 ? x.i16 : n == 4 ? x.i32 : x.i64;
		break;
	case TH_UINT:
		v.u = n == 1 ? x.u8 : n == 2 ? x.u16 : n == 4 ? x.u32 : x.u64;
		break;
	case TH_FLOAT:
		v.f = n == sizeof(float) ? x.f : n == sizeof(double) ? x.d
								     : x.ld;
		break;
	case TH_PTR:
		v.u = (uintptr_t)x.p;
		break;
	}
	return v;
}

static inline long double th_as_float(struct th_val v)
{
	return v.kind == TH_FLOAT ? v.f : v.kind == TH_INT ? (long double)v.i
							   : (long double)v.u;
}

/* -1, 0 or 1 as a is less than, equal to or greater than b; 2 when they
 * are unordered (a NaN). */
static inline int th_cmp(struct th_val a, struct th_val b)
{
	uintmax_t x, y;

	if (a.kind == TH_FLOAT || b.kind == TH_FLOAT) {
		long double fa = th_as_float(a), fb = th_as_float(b);

		return fa < fb ? -1 : fa > fb ? 1 : fa == fb ? 0 : 2;
	}
	if (a.kind == TH_INT && b.kind == TH_INT)
		return a.i < b.i ? -1 : a.i > b.i;
	if (a.kind == TH_INT && a.i < 0)
		return -1;
	if (b.kind == TH_INT && b.i < 0)
		return 1;
	x = a.kind == TH_INT ? (uintmax_t)a.i : a.u;
	y = b.kind == TH_INT ? (uintmax_t)b.i : b.u;
	return x < y ? -1 : x > y;
}

static inline bool th_holds(int c, enum th_op op)
{
	switch (op) {
	case TH_EQ: return c == 0;
	case TH_NE: return c != 0;
	case TH_LT: return c == -1;
	case TH_LE: return c == -1 || c == 0;
	case TH_GT: return c == 1;
	case TH_GE: return c == 1 || c == 0;
	}
	return false;
}

static inline const char *th_fmt(struct th_val v, char *buf, size_t n)
{
	switch (v.kind) {
	case TH_INT:
		snprintf(buf, n, "%jd", v.i);
		break;
	case TH_UINT:
		snprintf(buf, n, "%ju", v.u);
		break;
	case TH_FLOAT:
		snprintf(buf, n, "%.17Lg", v.f);
		break;
	case TH_PTR:
		if (v.u)
			snprintf(buf, n, "%#jx", v.u);
		else
			snprintf(buf, n, "NULL");
		break;
	}
	return buf;
}

static inline void th_failed(struct __test_metadata *m)
{
	m->result->failed = 1;
}

__attribute__((unused))
static bool th_check(struct __test_metadata *m, const char *file, int line,
		     const char *es, struct th_val e, enum th_op op,
		     const char *ss, struct th_val s)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	char eb[64], sb[64];

	if (th_holds(th_cmp(e, s), op))
		return true;
	th_log(m, file, line, "Expected %s (%s) %s %s (%s)", es,
	       th_fmt(e, eb, sizeof(eb)), ops[op], ss,
	       th_fmt(s, sb, sizeof(sb)));
	th_failed(m);
	return false;
}

/* s[from, from + max) of its len bytes as a C string literal: "\n" and
 * "\xff" escaped, "..." where it was cut. */
static inline const char *th_quote(const char *s, size_t len, size_t from,
				   size_t max, char *out, size_t n)
{
	size_t o = 0, i;

	if (!s)
		return "NULL";
	if (from > len)
		from = len;
	o += (size_t)snprintf(out + o, n - o, "%s\"", from ? "..." : "");
	for (i = from; i < len && i < from + max && o + 8 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, n - o, "\\%c", c);
		else if (c == '\n')
			o += (size_t)snprintf(out + o, n - o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	snprintf(out + o, n - o, "\"%s", i < len ? "..." : "");
	return out;
}

/* The window of a long string worth showing: some bytes before at. */
static inline size_t th_from(size_t at)
{
	return at > 40 ? at - 40 : 0;
}

__attribute__((unused))
static bool th_check_mem(struct __test_metadata *m, const char *file,
			 int line, const char *es, const void *e,
			 const char *ss, const void *s, size_t len,
			 size_t slen, bool eq)
{
	const char *a = e, *b = s;
	char eb[1024], sb[1024];
	size_t at = 0, n = len < slen ? len : slen;

	if (a && b)
		while (at < n && a[at] == b[at])
			at++;
	if ((a && b && at == n && len == slen) == eq)
		return true;
	th_log(m, file, line, "Expected %s (%s, %zu bytes) %s %s (%s, %zu "
	       "bytes)%s%zu", es, th_quote(a, len, th_from(at), 160, eb,
					   sizeof(eb)),
	       len, eq ? "==" : "!=", ss,
	       th_quote(b, slen, th_from(at), 160, sb, sizeof(sb)), slen,
	       eq ? ", first difference at byte " : ", the same up to byte ",
	       at);
	th_failed(m);
	return false;
}

__attribute__((unused))
static bool th_check_str(struct __test_metadata *m, const char *file,
			 int line, const char *es, const char *e,
			 const char *ss, const char *s, bool eq)
{
	if ((e && s && !strcmp(e, s)) == eq)
		return true;
	return th_check_mem(m, file, line, es, e, ss, s, e ? strlen(e) : 0,
			    s ? strlen(s) : 0, eq);
}

__attribute__((unused))
static bool th_check_in(struct __test_metadata *m, const char *file,
			int line, const char *ns, const char *needle,
			const char *hs, const char *hay, bool in)
{
	const char *at = needle && hay ? strstr(hay, needle) : NULL;
	char nb[1024], hb[1024];

	if ((at != NULL) == in)
		return true;
	th_log(m, file, line, "Expected %s (%s) %s %s (%s)", hs,
	       th_quote(hay, hay ? strlen(hay) : 0,
			at ? th_from((size_t)(at - hay)) : 0, 300, hb,
			sizeof(hb)),
	       in ? "to contain" : "not to contain", ns,
	       th_quote(needle, needle ? strlen(needle) : 0, 0, 300, nb,
			sizeof(nb)));
	th_failed(m);
	return false;
}

/* A failed ASSERT leaves the test; a failed EXPECT goes on. */
static inline int th_bail(struct __test_metadata *m, bool is_assert)
{
	if (is_assert)
		longjmp(*m->env, 1);
	return 0;
}

/*
 * Each EXPECT and ASSERT is one statement, a for loop, so that it may be
 * the body of an if or a loop without braces; the statement after it
 * (TH_LOG ...) is the loop's body: it runs once when the check failed, and
 * then an ASSERT leaves the test.
 */
#define TH_ON_FAILURE(passed, is_assert)				\
	for (int th_once_ = !(passed); th_once_;			\
	     th_once_ = th_bail(_metadata, is_assert))

#define __EXPECT(e, es, s, ss, op, is_assert) TH_ON_FAILURE(({		\
	__auto_type th_e_ = (e);					\
	__auto_type th_s_ = (s);					\
	_Static_assert((TH_KIND(th_e_) != TH_PTR ||			\
			sizeof(th_e_) == sizeof(void *)) &&		\
		       (TH_KIND(th_s_) != TH_PTR ||			\
			sizeof(th_s_) == sizeof(void *)),		\
		       "EXPECT and ASSERT compare numbers and pointers"); \
	th_check(_metadata, __FILE__, __LINE__, es, TH_VAL(th_e_), op,	\
		 ss, TH_VAL(th_s_));					\
}), is_assert)

#define __EXPECT_STR(e, s, eq, is_assert) TH_ON_FAILURE(		\
	th_check_str(_metadata, __FILE__, __LINE__, #e, (e), #s, (s), eq), \
	is_assert)

#define __EXPECT_IN(n, h, in, is_assert) TH_ON_FAILURE(			\
	th_check_in(_metadata, __FILE__, __LINE__, #n, (n), #h, (h), in), \
	is_assert)

#define __EXPECT_MEM(e, s, len, slen, is_assert) TH_ON_FAILURE(		\
	th_check_mem(_metadata, __FILE__, __LINE__, #e, (e), #s, (s),	\
		     (len), (slen), true), is_assert)

#define EXPECT_EQ(e, s) __EXPECT(e, #e, s, #s, TH_EQ, false)
#define EXPECT_NE(e, s) __EXPECT(e, #e, s, #s, TH_NE, false)
#define EXPECT_LT(e, s) __EXPECT(e, #e, s, #s, TH_LT, false)
#define EXPECT_LE(e, s) __EXPECT(e, #e, s, #s, TH_LE, false)
#define EXPECT_GT(e, s) __EXPECT(e, #e, s, #s, TH_GT, false)
#define EXPECT_GE(e, s) __EXPECT(e, #e, s, #s, TH_GE, false)
#define EXPECT_NULL(s) __EXPECT(NULL, "NULL", s, #s, TH_EQ, false)
#define EXPECT_TRUE(s) __EXPECT(0, "0", s, #s, TH_NE, false)
#define EXPECT_FALSE(s) __EXPECT(0, "0", s, #s, TH_EQ, false)
#define EXPECT_STREQ(e, s) __EXPECT_STR(e, s, true, false)
#define EXPECT_STRNE(e, s) __EXPECT_STR(e, s, false, false)
/* lagfs's own: needle in haystack (strstr); two buffers, byte for byte. */
#define EXPECT_IN(n, h) __EXPECT_IN(n, h, true, false)
#define EXPECT_NOT_IN(n, h) __EXPECT_IN(n, h, false, false)
#define EXPECT_MEMEQ(e, elen, s, slen) __EXPECT_MEM(e, s, elen, slen, false)

#define ASSERT_EQ(e, s) __EXPECT(e, #e, s, #s, TH_EQ, true)
#define ASSERT_NE(e, s) __EXPECT(e, #e, s, #s, TH_NE, true)
#define ASSERT_LT(e, s) __EXPECT(e, #e, s, #s, TH_LT, true)
#define ASSERT_LE(e, s) __EXPECT(e, #e, s, #s, TH_LE, true)
#define ASSERT_GT(e, s) __EXPECT(e, #e, s, #s, TH_GT, true)
#define ASSERT_GE(e, s) __EXPECT(e, #e, s, #s, TH_GE, true)
#define ASSERT_NULL(s) __EXPECT(NULL, "NULL", s, #s, TH_EQ, true)
#define ASSERT_TRUE(s) __EXPECT(0, "0", s, #s, TH_NE, true)
#define ASSERT_FALSE(s) __EXPECT(0, "0", s, #s, TH_EQ, true)
#define ASSERT_STREQ(e, s) __EXPECT_STR(e, s, true, true)
#define ASSERT_STRNE(e, s) __EXPECT_STR(e, s, false, true)
#define ASSERT_IN(n, h) __EXPECT_IN(n, h, true, true)
#define ASSERT_MEMEQ(e, elen, s, slen) __EXPECT_MEM(e, s, elen, slen, true)

/* ---- running -------------------------------------------------------- */

static pid_t th_running;	/* the running test's process (group) */

/* Killed while a test runs: its process group goes first. */
static void th_on_signal(int sig)
{
	if (th_running > 0)
		kill(-th_running, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* In the test's process: setup, test, teardown; a failed ASSERT (or SKIP)
 * in setup skips the test and its teardown. */
static void th_run_child(struct __test_metadata *t, const void *variant)
{
	struct __fixture_metadata *f = t->fixture;
	void *self = f->self_size ? calloc(1, f->self_size) : NULL;
	jmp_buf env;

	t->env = &env;
	if (f->setup) {
		if (setjmp(env) == 0)
			f->setup(t, self, variant);
		if (t->result->failed || t->result->skipped) {
			free(self);
			return;
		}
	}
	if (setjmp(env) == 0)
		t->fn(t, self, variant);
	if (f->teardown) {
		if (setjmp(env) == 0)
			f->teardown(t, self, variant);
	}
	free(self);
}

/* Wait for the test's process, at most timeout seconds (then it and its
 * process group are killed). */
static int th_wait(pid_t pid, int timeout, bool *timed_out)
{
	siginfo_t si;
	int status = 0, fd = -1;

	*timed_out = false;
#ifdef SYS_pidfd_open
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	if (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		while ((n = poll(&p, 1, timeout * 1000)) < 0 && errno == EINTR)
			;
		if (n == 0) {
			*timed_out = true;
			kill(-pid, SIGKILL);
		}
		close(fd);
	}
	/* Without a pidfd, the test's own alarm ends it. Its process group
	 * goes before it is reaped, while its pid cannot be reused. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		*timed_out = true;
	return status;
}

/* Run one test in a process of its own; 0 passed, 1 failed, 2 skipped. */
static int th_run(struct __test_metadata *t,
		  const struct __fixture_variant_metadata *v,
		  const char *full, struct th_result *res)
{
	bool timed_out;
	int status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	t->result = res;
	printf("# RUN %s\n", full);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# %s: fork: %s\n", full, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		pid_t parent = getppid();

		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(KSFT_FAIL);
		alarm((unsigned)t->timeout + 2);
		th_run_child(t, v ? v->data : NULL);
		fflush(stdout);
		if (res->failed)
			_exit(KSFT_FAIL);
		/* exit(), not _exit(): LeakSanitizer checks at exit. */
		exit(KSFT_PASS);
	}
	setpgid(pid, pid);
	th_running = pid;
	status = th_wait(pid, t->timeout, &timed_out);
	th_running = 0;
	if (timed_out)
		printf("# %s: timed out after %d s\n", full, t->timeout);
	else if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d (%s)\n", full,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != KSFT_PASS &&
		 !res->failed)
		printf("# %s: exited with status %d\n", full,
		       WEXITSTATUS(status));
	if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    res->failed)
		return 1;
	return res->skipped ? 2 : 0;
}

static void th_full_name(char *buf, size_t n, const struct __test_metadata *t,
			 const struct __fixture_variant_metadata *v)
{
	snprintf(buf, n, "%s%s%s.%s", t->fixture->name, v ? "." : "",
		 v ? v->name : "", t->name);
}

/* Does -t NAME (any of names[0..n)) choose this test? All do without. */
static bool th_chosen(char **names, int n, const struct __test_metadata *t,
		      const struct __fixture_variant_metadata *v,
		      const char *full)
{
	char fv[256];

	if (n == 0)
		return true;
	snprintf(fv, sizeof(fv), "%s.%s", t->fixture->name, v ? v->name : "");
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], t->name) || !strcmp(names[i], full) ||
		    !strcmp(names[i], t->fixture->name) ||
		    (v && !strcmp(names[i], fv)))
			return true;
	return false;
}

/*
 * Calls fn(t, v, full, arg) for each chosen test in the order they run:
 * fixture by fixture (in the order of their first test), variant by
 * variant, test by test. Returns how many it called fn for.
 */
static int th_each(char **names, int n,
		   void (*fn)(struct __test_metadata *,
			      const struct __fixture_variant_metadata *,
			      const char *, void *), void *arg)
{
	struct __test_metadata *t, *u;
	struct __fixture_variant_metadata *v;
	char full[512];
	int count = 0;

	for (t = th_tests; t; t = t->next)
		t->fixture->listed = false;
	for (t = th_tests; t; t = t->next) {
		if (t->fixture->listed)
			continue;
		t->fixture->listed = true;
		v = t->fixture->variants;
		do {
			for (u = t; u; u = u->next) {
				if (u->fixture != t->fixture)
					continue;
				th_full_name(full, sizeof(full), u, v);
				if (!th_chosen(names, n, u, v, full))
					continue;
				count++;
				if (fn)
					fn(u, v, full, arg);
			}
			v = v ? v->next : NULL;
		} while (v);
	}
	return count;
}

static void th_list_one(struct __test_metadata *t,
			const struct __fixture_variant_metadata *v,
			const char *full, void *arg)
{
	(void)t;
	(void)v;
	(void)arg;
	printf("%s\n", full);
}

struct th_totals {
	int n, passed, failed, skipped;
	struct th_result *res;
};

static void th_run_one(struct __test_metadata *t,
		       const struct __fixture_variant_metadata *v,
		       const char *full, void *arg)
{
	struct th_totals *tot = arg;
	int r = th_run(t, v, full, tot->res);

	tot->n++;
	if (r == 1) {
		tot->failed++;
		printf("not ok %d %s\n", tot->n, full);
	} else if (r == 2) {
		tot->skipped++;
		printf("ok %d %s # SKIP %s\n", tot->n, full, tot->res->reason);
	} else {
		tot->passed++;
		printf("ok %d %s\n", tot->n, full);
	}
	fflush(stdout);
}

#define TH_USAGE "[-l] [-t NAME]...: -l lists the tests, -t runs the "	\
	"tests NAME names (a test, fixture, fixture.variant or full name)"

__attribute__((unused))
static int test_harness_run(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
						 : argv[0];
	char *names[argc];
	struct th_totals tot = { 0 };
	bool list = false;
	int n = 0, opt, planned;

	opterr = 0;
	while ((opt = getopt(argc, argv, "hlt:")) != -1) {
		if (opt == 'l') {
			list = true;
		} else if (opt == 't') {
			names[n++] = optarg;
		} else if (opt == 'h') {
			printf("usage: %s " TH_USAGE "\n", prog);
			return 0;
		} else {
			fprintf(stderr, "%s: %s -%c; usage: %s " TH_USAGE "\n",
				prog, optopt == 't' ? "missing NAME after" :
				"unknown option", optopt, prog);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; usage: %s "
			TH_USAGE "\n", prog, argv[optind], prog);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		if (!th_each(&names[i], 1, NULL, NULL)) {
			fprintf(stderr, "%s: no test named '%s' (-l lists "
				"them)\n", prog, names[i]);
			return 2;
		}
	}
	if (list) {
		th_each(names, n, th_list_one, NULL);
		return 0;
	}
	/* One line at a time, so that the tests' processes never repeat
	 * what was buffered before their fork. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, th_on_signal);
	signal(SIGINT, th_on_signal);
	signal(SIGHUP, th_on_signal);
	tot.res = mmap(NULL, sizeof(*tot.res), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tot.res == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", prog, strerror(errno));
		return 1;
	}
	planned = th_each(names, n, NULL, NULL);
	printf("TAP version 13\n1..%d\n", planned);
	th_each(names, n, th_run_one, &tot);
	printf("# Totals: pass:%d fail:%d skip:%d\n", tot.passed, tot.failed,
	       tot.skipped);
	munmap(tot.res, sizeof(*tot.res));
	return tot.failed ? 1 : 0;
}

#endif
