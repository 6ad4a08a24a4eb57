/* duration: parsing, refusals with their reasons, and format round trips. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "harness.h"

/* What text means: its nanoseconds in decimal ("inf" for DURATION_INF),
 * or "refused: " and why. */
static const char *meaning(const char *text, char *buf, size_t cap)
{
	uint64_t ns = 12345;
	const char *why = NULL;
	int rc = duration_parse(text, &ns, &why);

	if (rc == -1)
		snprintf(buf, cap, "refused: %s", why ? why : "(no reason)");
	else if (rc != 0)
		snprintf(buf, cap, "returned %d", rc);
	else if (ns == DURATION_INF)
		snprintf(buf, cap, "inf");
	else
		snprintf(buf, cap, "%" PRIu64, ns);
	return buf;
}

static void means(struct __test_metadata *_metadata, const char *text,
		  const char *want)
{
	char buf[128];

	EXPECT_STREQ(want, meaning(text, buf, sizeof(buf)))
		TH_LOG("'%s'", text ? text : "(null)");
}

/* ns is written as text (in its largest exact unit), which parses back. */
static void formats(struct __test_metadata *_metadata, uint64_t ns,
		    const char *text)
{
	char buf[32];
	uint64_t back = 0;

	duration_format(ns, buf, sizeof(buf));
	EXPECT_STREQ(text, buf);
	EXPECT_EQ(0, duration_parse(buf, &back, NULL)) TH_LOG("'%s'", buf);
	EXPECT_EQ(ns, back) TH_LOG("'%s'", buf);
}

/* ...4614 is the largest finite value: UINT64_MAX itself is "inf". */
TEST(parse)
{
	means(_metadata, "0ns", "0");
	means(_metadata, "7ns", "7");
	means(_metadata, "10us", "10000");
	means(_metadata, "100ms", "100000000");
	means(_metadata, "2s", "2000000000");
	means(_metadata, "1.5ms", "1500000");
	means(_metadata, "1.1s", "1100000000");
	means(_metadata, "0.000000001s", "1");
	means(_metadata, "1.500000000000s", "1500000000");
	means(_metadata, ".5s", "500000000");
	means(_metadata, "3.s", "3000000000");
	means(_metadata, "007ms", "7000000");
	means(_metadata, "inf", "inf");
	means(_metadata, "18446744073709551614ns", "18446744073709551614");
	means(_metadata, "18446744073.709551614s", "18446744073709551614");
	means(_metadata, "", "refused: empty");
	means(_metadata, "10", "refused: missing unit (ns, us, ms, s)");
	means(_metadata, "1.5", "refused: missing unit (ns, us, ms, s)");
	means(_metadata, "-5ms", "refused: negative");
	means(_metadata, "-inf", "refused: negative");
	means(_metadata, "ms", "refused: not a number");
	means(_metadata, ".ms", "refused: not a number");
	means(_metadata, "abc", "refused: not a number");
	means(_metadata, " 5ms", "refused: not a number");
	means(_metadata, "+5ms", "refused: not a number");
	means(_metadata, "Inf", "refused: not a number");
	means(_metadata, "5m", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "5 ms", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "5msx", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "5MS", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "1e3ms", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "1.2.3ms", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "600years", "refused: unknown unit (ns, us, ms, s)");
	means(_metadata, "1.5ns", "refused: finer than 1ns");
	means(_metadata, "0.0000000001s", "refused: finer than 1ns");
	means(_metadata, "18446744073709551615ns", "refused: too large");
	means(_metadata, "18446744073.709551615s", "refused: too large");
	means(_metadata, "18446744074s", "refused: too large");
	means(_metadata, "99999999999999999999999ns", "refused: too large");
	means(_metadata, NULL, "refused: empty");
}

TEST(format_round_trip)
{
	formats(_metadata, 0, "0ns");
	formats(_metadata, 1, "1ns");
	formats(_metadata, 1500, "1500ns");
	formats(_metadata, 1500000, "1500us");
	formats(_metadata, 100000000, "100ms");
	formats(_metadata, 2000000000, "2s");
	formats(_metadata, 60000000000ull, "60s");
	formats(_metadata, 1000000001, "1000000001ns");
	formats(_metadata, UINT64_MAX - 1, "18446744073709551614ns");
	formats(_metadata, DURATION_INF, "inf");
}

TEST(format_cut_to_buffer)
{
	char tiny[4];

	memset(tiny, 'x', sizeof(tiny));
	duration_format(100000000, tiny, sizeof(tiny));
	EXPECT_MEMEQ("100", 4, tiny, sizeof(tiny));
}

TEST_HARNESS_MAIN
