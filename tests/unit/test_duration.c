/* duration: parsing, refusals with their reasons, and format round trips. */
#include <stdint.h>
#include <string.h>

#include "duration.h"
#include "tap.h"

static void parses(const char *s, uint64_t want)
{
	uint64_t ns = 12345;
	const char *why = "unset";
	int rc = duration_parse(s, &ns, &why);

	ok(rc == 0 && ns == want, "'%s' = %llu (got rc %d, %llu, %s)", s,
	   (unsigned long long)want, rc, (unsigned long long)ns,
	   rc ? why : "-");
}

static void refuses(const char *s, const char *want_why)
{
	uint64_t ns = 12345;
	const char *why = NULL;
	int rc = duration_parse(s, &ns, &why);

	ok(rc == -1 && why && !strcmp(why, want_why),
	   "'%s' refused: %s (got rc %d, %s)", s ? s : "(null)", want_why, rc,
	   why ? why : "(null)");
}

static void formats(uint64_t ns, const char *want)
{
	char buf[32];
	uint64_t back = 0;

	duration_format(ns, buf, sizeof(buf));
	ok(!strcmp(buf, want), "%llu formats as '%s' (got '%s')",
	   (unsigned long long)ns, want, buf);
	ok(duration_parse(buf, &back, NULL) == 0 && back == ns,
	   "'%s' parses back to %llu", buf, (unsigned long long)ns);
}

static void test_parse(void)
{
	parses("0ns", 0);
	parses("7ns", 7);
	parses("10us", 10000);
	parses("100ms", 100000000);
	parses("2s", 2000000000);
	parses("1.5ms", 1500000);
	parses("1.1s", 1100000000);
	parses("0.000000001s", 1);
	parses("1.500000000000s", 1500000000);
	parses(".5s", 500000000);
	parses("3.s", 3000000000);
	parses("007ms", 7000000);
	parses("inf", DURATION_INF);
	/* the largest finite value: UINT64_MAX itself is "inf" */
	parses("18446744073709551614ns", UINT64_MAX - 1);
	parses("18446744073.709551614s", UINT64_MAX - 1);
}

static void test_refuse(void)
{
	refuses("", "empty");
	refuses(NULL, "empty");
	refuses("10", "missing unit (ns, us, ms, s)");
	refuses("1.5", "missing unit (ns, us, ms, s)");
	refuses("-5ms", "negative");
	refuses("-inf", "negative");
	refuses("ms", "not a number");
	refuses(".ms", "not a number");
	refuses("abc", "not a number");
	refuses(" 5ms", "not a number");
	refuses("+5ms", "not a number");
	refuses("5m", "unknown unit (ns, us, ms, s)");
	refuses("5 ms", "unknown unit (ns, us, ms, s)");
	refuses("5msx", "unknown unit (ns, us, ms, s)");
	refuses("5MS", "unknown unit (ns, us, ms, s)");
	refuses("1e3ms", "unknown unit (ns, us, ms, s)");
	refuses("1.2.3ms", "unknown unit (ns, us, ms, s)");
	refuses("Inf", "not a number");
	refuses("1.5ns", "finer than 1ns");
	refuses("0.0000000001s", "finer than 1ns");
	refuses("18446744073709551615ns", "too large");
	refuses("18446744073.709551615s", "too large");
	refuses("18446744074s", "too large");
	refuses("99999999999999999999999ns", "too large");
	refuses("600years", "unknown unit (ns, us, ms, s)");
}

static void test_format(void)
{
	char tiny[4];

	formats(0, "0ns");
	formats(1, "1ns");
	formats(1500, "1500ns");
	formats(1500000, "1500us");
	formats(100000000, "100ms");
	formats(2000000000, "2s");
	formats(60000000000ull, "60s");
	formats(1000000001, "1000000001ns");
	formats(UINT64_MAX - 1, "18446744073709551614ns");
	formats(DURATION_INF, "inf");

	memset(tiny, 'x', sizeof(tiny));
	duration_format(100000000, tiny, sizeof(tiny));
	ok(!strcmp(tiny, "100"), "a short buffer is cut and terminated ('%.4s')",
	   tiny);
}

int main(void)
{
	test_parse();
	test_refuse();
	test_format();
	return tap_done();
}
