/*
 * harness_demo: tests of tests/harness.h itself, for
 * tests/integration/unit_harness.sh: one passes, the others fail, crash,
 * hang or skip, each in its own way, so that the script can see what the
 * harness says about each, and that every test after them still runs.
 */
#include <signal.h>
#include <stdlib.h>

#include "harness.h"

TEST(passes)
{
	EXPECT_EQ(1, 1);
}

TEST(numbers)
{
	int got = 41;
	unsigned n = 3;
	double ratio = 0.5;

	EXPECT_EQ(42, got);
	EXPECT_GT(-1, n) TH_LOG("-1 is less than 3u");
	EXPECT_EQ(0.25, ratio);
}

TEST(strings)
{
	const char *got = "lagfs: bad\nrule";

	EXPECT_STREQ("lagfs: bad rule", got);
	EXPECT_IN("rules file", got);
}

TEST(assert_ends_the_test)
{
	ASSERT_EQ(1, 2) TH_LOG("the assert failed");
	TH_LOG("after the assert");
}

TEST(crashes)
{
	abort();
}

TEST_TIMEOUT(hangs, 1)
{
	for (;;)
		pause();
}

TEST(skips)
{
	SKIP(return, "nothing to do here");
	TH_LOG("after the skip");
}

/* A fixture whose teardown says it ran, with two variants. */
FIXTURE_VARIANT(box) {
	int size;
};

FIXTURE(box) {
	int *items;
};

FIXTURE_VARIANT_ADD(box, small) {
	.size = 1,
};

FIXTURE_VARIANT_ADD(box, large) {
	.size = 100,
};

FIXTURE_SETUP(box)
{
	self->items = calloc((size_t)variant->size, sizeof(int));
	ASSERT_NE(NULL, self->items);
}

FIXTURE_TEARDOWN(box)
{
	TH_LOG("teardown of a box of %d", variant->size);
	free(self->items);
}

TEST_F(box, is_small)
{
	ASSERT_GE(10, variant->size);
	TH_LOG("a small box");
}

TEST_HARNESS_MAIN
