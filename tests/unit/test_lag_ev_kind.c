/* lag_event's kinds: each "ev" is parsed once into its kind, an op's name
 * into an answer with its op, and written back as the same line. */
#include <stdbool.h>
#include <string.h>

#include "base.h"
#include "harness.h"
#include "lag_event.h"

#define HEAD "{\"t_ns\":1,\"ev\":"
#define TAIL ",\"unique\":0,\"pid\":0,\"uid\":0,\"ino\":0,\"fh\":0," \
	     "\"path\":\"\",\"flags\":0,\"result\":0,\"delay_ns\":0"

static struct lag_event e;

static int parse(const char *line, char *err)
{
	return lag_event_parse(line, strlen(line), &e, err, 128);
}

TEST(names)
{
	static const char *const names[] = {
		"start", "open", "create", "flush", "release", "interrupt",
		"park", "reload", "unreleased", "exit", "mark",
	};

	/* every kind's name gives the kind back */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int k = lag_ev_kind_of(names[i]);

		EXPECT_LT(0, k) TH_LOG("'%s'", names[i]);
		EXPECT_STREQ(names[i], k > 0 ? lag_ev_name((unsigned)k) : "");
	}
	/* an op's name is no kind's */
	EXPECT_GT(0, lag_ev_kind_of("read"));
	EXPECT_NULL(lag_ev_name(LAG_EV_ANSWER));
	EXPECT_NULL(lag_ev_name(LAG_EV_N));
}

/* line parses, its kind and op are as given, and it formats back to
 * itself. */
static void round_trip(struct __test_metadata *_metadata, const char *line,
		       enum lag_ev_kind kind, const char *op)
{
	static char back[LAG_LINE_MAX];
	char err[128] = "";
	size_t n;

	ASSERT_EQ(0, parse(line, err)) TH_LOG("%s: %s", line, err);
	EXPECT_EQ(kind, e.kind) TH_LOG("%s", line);
	EXPECT_STREQ(op, e.op);
	n = lag_event_format(&e, back, sizeof(back));
	/* the same line, and its newline */
	EXPECT_EQ(strlen(line) + 1, n);
	EXPECT_MEMEQ(line, strlen(line), back, n ? n - 1 : 0);
}

TEST(round_trips)
{
	round_trip(_metadata,
		   HEAD "\"park\"" TAIL ",\"op\":\"read\",\"hold\":1}",
		   LAG_EV_PARK, "read");
	/* an answer */
	round_trip(_metadata, HEAD "\"read\"" TAIL ",\"how\":\"release\"}",
		   LAG_EV_ANSWER, "read");
	/* a harness's mark, its text in detail */
	round_trip(_metadata, HEAD "\"mark\"" TAIL ",\"detail\":\"reaped\"}",
		   LAG_EV_MARK, "");
	/* a parked open's answer */
	round_trip(_metadata, HEAD "\"open\"" TAIL ",\"how\":\"delay\"}",
		   LAG_EV_OPEN, "");
}

/* "op" on an answer means nothing: checked, then ignored */
TEST(an_answers_op_is_its_ev)
{
	char err[128] = "";

	ASSERT_EQ(0, parse(HEAD "\"read\"" TAIL ",\"op\":\"write\"}", err))
		TH_LOG("%s", err);
	EXPECT_EQ(LAG_EV_ANSWER, e.kind);
	EXPECT_STREQ("read", e.op);
	EXPECT_GT(0, parse(HEAD "\"read\"" TAIL ",\"op\":5}", err));
	EXPECT_STREQ("key 'op': not a string", err);
}

TEST(init_and_set_ev)
{
	lag_event_init(&e, LAG_EV_UNRELEASED);
	EXPECT_STREQ("unreleased", lag_event_ev(&e));
	/* an op: an answer of that op */
	lag_event_set_ev(&e, "fallocate");
	EXPECT_EQ(LAG_EV_ANSWER, e.kind);
	EXPECT_STREQ("fallocate", lag_event_ev(&e));
}

TEST_HARNESS_MAIN
