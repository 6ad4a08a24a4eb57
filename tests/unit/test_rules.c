/* rules: rule syntax, error texts, rules files and their limits, matching. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "duration.h"
#include "harness.h"
#include "rules.h"

#define MS 1000000ull
#define S 1000000000ull

static const char *const want_names[LAG_OP_COUNT] = {
	"lookup", "forget", "getattr", "setattr", "readlink", "mknod",
	"mkdir", "unlink", "rmdir", "symlink", "rename", "link", "open",
	"read", "write", "flush", "release", "fsync", "opendir", "readdir",
	"releasedir", "fsyncdir", "statfs", "setxattr", "getxattr",
	"listxattr", "removexattr", "create", "fallocate", "readdirplus",
};

/* ---- one rule --------------------------------------------------------- */

/*
 * What a rule line means, in rule syntax: the op, then each field that is
 * not a plain rule's (durations in their largest exact unit, prob when not
 * 1, text when it is not the line itself); or "refused: " and why.
 */
static const char *meaning(const char *line, char *buf, size_t cap)
{
	struct rule r;
	char err[256] = "", d[32];
	size_t n = 0;
	int rc = rule_parse(line, &r, err, sizeof(err));

	if (rc != 0) {
		if (rc == -1)
			snprintf(buf, cap, "refused: %s", err);
		else
			snprintf(buf, cap, "returned %d", rc);
		return buf;
	}
	n += (size_t)snprintf(buf + n, cap - n, "%s",
			      r.op < 0 ? "*" : lag_op_names[r.op]);
	if (r.path_glob)
		n += (size_t)snprintf(buf + n, cap - n, " path=%s", r.path_glob);
	if (r.delay_ns) {
		duration_format(r.delay_ns, d, sizeof(d));
		n += (size_t)snprintf(buf + n, cap - n, " delay=%s", d);
	}
	if (r.jitter_ns) {
		duration_format(r.jitter_ns, d, sizeof(d));
		n += (size_t)snprintf(buf + n, cap - n, " jitter=%s", d);
	}
	if (r.prob != 1)
		n += (size_t)snprintf(buf + n, cap - n, " prob=%g", r.prob);
	if (r.hold)
		n += (size_t)snprintf(buf + n, cap - n, " hold");
	if (r.max_ns) {
		duration_format(r.max_ns, d, sizeof(d));
		n += (size_t)snprintf(buf + n, cap - n, " max=%s", d);
	}
	n += (size_t)snprintf(buf + n, cap - n, "%s%s%s",
			      r.keep ? " keep" : "",
			      r.direct_io ? " direct_io" : "",
			      r.eintr ? " eintr" : "");
	if (strcmp(r.text, line))
		snprintf(buf + n, cap - n, " text='%s'", r.text);
	rule_free(&r);
	return buf;
}

static void means(struct __test_metadata *_metadata, const char *line,
		  const char *want)
{
	char buf[512];

	EXPECT_STREQ(want, meaning(line, buf, sizeof(buf)))
		TH_LOG("'%s'", line);
}

/*
 * The op names; every field of a parsed rule (what a plain rule has: op,
 * prob 1, text the line), and every refusal's reason. keep makes a hold that
 * interrupts do not end; a hold ends on one unless keep, and lasts 60 s
 * at the most; a backslash keeps a blank in a glob; a glob that starts
 * with neither '/' nor '*' matches at any depth.
 */
TEST(parse)
{
	for (int i = 0; i < LAG_OP_COUNT; i++) {
		EXPECT_STREQ(want_names[i], lag_op_names[i]);
		EXPECT_EQ(i, lag_op_from_name(want_names[i]));
	}
	/* unknown names give -1 */
	EXPECT_EQ(-1, lag_op_from_name("READ"));
	EXPECT_EQ(-1, lag_op_from_name(""));
	EXPECT_EQ(-1, lag_op_from_name("*"));
	EXPECT_EQ(-1, lag_op_from_name(NULL));
	means(_metadata, "read delay=10ms", "read delay=10ms");
	means(_metadata, "  *\tpath=*.dat delay=1.5ms jitter=500us prob=0.25 eintr  ", "* path=*.dat delay=1500us jitter=500us prob=0.25 eintr text='*\tpath=*.dat delay=1.5ms jitter=500us prob=0.25 eintr'");
	means(_metadata, "read hold keep max=2s", "read hold max=2s keep");
	means(_metadata, "write hold", "write hold max=60s");
	means(_metadata, "fsync hold max=inf", "fsync hold max=inf");
	means(_metadata, "flush hold max=250ms", "flush hold max=250ms");
	means(_metadata, "open direct_io", "open direct_io");
	means(_metadata, "create path=/d/* direct_io delay=1s", "create path=/d/* delay=1s direct_io");
	means(_metadata, "read jitter=2ms", "read jitter=2ms");
	means(_metadata, "read delay=1ms prob=0", "read delay=1ms prob=0");
	means(_metadata, "lookup path=my\\ file delay=1ms", "lookup path=*/my\\ file delay=1ms");
	means(_metadata, "read path=sub/* delay=1ms", "read path=*/sub/* delay=1ms");
	means(_metadata, "read path=/abs delay=1ms", "read path=/abs delay=1ms");
	means(_metadata, "read path=*.dat delay=1ms", "read path=*.dat delay=1ms");
	means(_metadata, "read path=x.dat delay=1ms", "read path=*/x.dat delay=1ms");
	means(_metadata, "raed delay=1ms", "refused: unknown op 'raed'");
	means(_metadata, "read dealy=10ms", "refused: unknown key 'dealy'");
	means(_metadata, "read delay=1ms fast", "refused: unknown key 'fast'");
	means(_metadata, "read delay=10", "refused: bad delay '10': missing unit (ns, us, ms, s)");
	means(_metadata, "read delay=-1ms", "refused: bad delay '-1ms': negative");
	means(_metadata, "read delay=", "refused: bad delay '': empty");
	means(_metadata, "read delay=inf", "refused: bad delay 'inf': must be finite (use hold)");
	means(_metadata, "read delay=1ms jitter=x", "refused: bad jitter 'x': not a number");
	means(_metadata, "read delay=1ms jitter=inf", "refused: bad jitter 'inf': must be finite (use hold)");
	means(_metadata, "read delay=1ms prob=1.5", "refused: bad prob '1.5': must be between 0 and 1");
	means(_metadata, "read delay=1ms prob=-0.1", "refused: bad prob '-0.1': must be between 0 and 1");
	means(_metadata, "read delay=1ms prob=nan", "refused: bad prob 'nan': must be between 0 and 1");
	means(_metadata, "read delay=1ms prob=half", "refused: bad prob 'half': not a number");
	means(_metadata, "read delay=1ms prob=", "refused: bad prob '': not a number");
	means(_metadata, "read delay=1ms prob=0.5x", "refused: bad prob '0.5x': not a number");
	means(_metadata, "read hold max=5", "refused: bad max '5': missing unit (ns, us, ms, s)");
	means(_metadata, "read delay=1ms max=5s", "refused: max= needs hold");
	means(_metadata, "read delay=1ms direct_io", "refused: direct_io only applies to open and create");
	means(_metadata, "* direct_io", "refused: direct_io only applies to open and create");
	means(_metadata, "read", "refused: rule does nothing");
	means(_metadata, "read path=/x prob=0.5", "refused: rule does nothing");
	means(_metadata, "read delay=0ms", "refused: rule does nothing");
	means(_metadata, "read hold delay=1ms", "refused: hold and delay=/jitter= do not mix (use max=)");
	means(_metadata, "read hold eintr", "refused: eintr needs delay= or jitter=");
	means(_metadata, "read delay=1ms keep", "refused: keep needs hold");
	means(_metadata, "read hold keep=1", "refused: keep takes no value");
	means(_metadata, "read hold keep keep", "refused: duplicate key 'keep'");
	means(_metadata, "read delay=1ms delay=2ms", "refused: duplicate key 'delay'");
	means(_metadata, "read hold hold", "refused: duplicate key 'hold'");
	means(_metadata, "read hold=1", "refused: hold takes no value");
	means(_metadata, "read delay", "refused: delay needs a value (delay=...)");
	means(_metadata, "read path= delay=1ms", "refused: bad path '': empty glob");
	means(_metadata, "read delay=18446744073s jitter=1s", "refused: delay + jitter too large");
	means(_metadata, "", "refused: empty rule");
	means(_metadata, "   ", "refused: empty rule");
}

TEST(set_lines)
{
	struct rule_set *rs = rule_set_new();
	char err[256] = "";

	ASSERT_NE(NULL, rs);
	EXPECT_EQ(0, rs->count);
	EXPECT_EQ(0, rs->op_mask);
	EXPECT_FALSE(rs->any_path);
	/* blank and comment lines add nothing */
	EXPECT_EQ(0, rule_set_add_line(rs, "", err, sizeof(err)));
	EXPECT_EQ(0, rule_set_add_line(rs, "  \t ", err, sizeof(err)));
	EXPECT_EQ(0, rule_set_add_line(rs, "# read delay=1ms", err,
				       sizeof(err)));
	EXPECT_EQ(0, rule_set_add_line(rs, "   # indented", err, sizeof(err)));
	EXPECT_EQ(0, rs->count);
	/* a trailing comment is dropped */
	EXPECT_EQ(0, rule_set_add_line(rs, "read delay=1ms # slow reads", err,
				       sizeof(err)));
	ASSERT_EQ(1, rs->count);
	EXPECT_STREQ("read delay=1ms", rs->rules[0].text);
	/* a comment needs no blank before it */
	EXPECT_EQ(0, rule_set_add_line(rs, "write delay=2ms#no space", err,
				       sizeof(err)));
	EXPECT_EQ(2, rs->count);
	/* a backslash keeps '#' in a glob */
	EXPECT_EQ(0, rule_set_add_line(rs, "open path=a\\#b delay=1ms", err,
				       sizeof(err)));
	ASSERT_EQ(3, rs->count);
	EXPECT_STREQ("*/a\\#b", rs->rules[2].path_glob);
	EXPECT_EQ(&rs->rules[2], rule_set_match(rs, LAG_OP_OPEN, "/x/a#b"));
	/* a bad line is refused and adds nothing */
	EXPECT_EQ(-1, rule_set_add_line(rs, "reed delay=1ms # typo", err,
					sizeof(err)));
	EXPECT_STREQ("unknown op 'reed'", err);
	EXPECT_EQ(3, rs->count);
	/* op_mask and any_path follow the rules */
	EXPECT_EQ(1ull << LAG_OP_READ | 1ull << LAG_OP_WRITE |
		  1ull << LAG_OP_OPEN, rs->op_mask);
	EXPECT_TRUE(rs->any_path);
	rule_set_free(rs);
}

/* ---- files ------------------------------------------------------------ */

#define TMPL "/tmp/test_rules.XXXXXX"

static void put_text(FILE *f, const void *arg)
{
	fputs(arg, f);
}

static void put_nul_line(FILE *f, const void *arg)
{
	(void)arg;
	fputs("read delay=1ms\n", f);
	fwrite("write\0delay=1ms\n", 1, 16, f);
}

/* line 1: a comment of n bytes in all; line 2: a rule */
static void put_long_line(FILE *f, const void *arg)
{
	size_t n = *(const size_t *)arg;

	fputc('#', f);
	for (size_t i = 1; i < n; i++)
		fputc('x', f);
	fputs("\nread delay=1ms\n", f);
}

static void put_lines(FILE *f, const void *arg)
{
	long n = *(const long *)arg;

	fputs("read delay=1ms\n", f);
	for (long i = 1; i < n; i++)
		fputs(i % 2 ? "# filler\n" : "\n", f);
}

/* Load a temp file that fill writes, named path (sizeof(TMPL) bytes):
 * the set, or NULL and err. */
static struct rule_set *load(struct __test_metadata *_metadata,
			     void (*fill)(FILE *, const void *),
			     const void *arg, char *path, char *err,
			     size_t len)
{
	struct rule_set *rs;
	FILE *f;
	int fd;

	strcpy(path, TMPL);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	ASSERT_NE(NULL, f);
	fill(f, arg);
	ASSERT_EQ(0, fclose(f));
	err[0] = '\0';
	rs = rule_set_load(path, err, len);
	unlink(path);
	return rs;
}

TEST(load_a_file)
{
	char err[512], path[sizeof(TMPL)];
	struct rule_set *rs;

	rs = load(_metadata, put_text,
		  "# slow storage\n\nread delay=10ms\r\n"
		  "  write path=*.log hold max=1s   # park log writes\n"
		  "open direct_io", path, err, sizeof(err));
	/* comments, blanks, CRLF and no final newline */
	ASSERT_NE(NULL, rs) TH_LOG("%s", err);
	ASSERT_EQ(3, rs->count);
	EXPECT_EQ(LAG_OP_READ, rs->rules[0].op);
	EXPECT_TRUE(rs->rules[1].hold);
	EXPECT_EQ(S, rs->rules[1].max_ns);
	EXPECT_TRUE(rs->rules[2].direct_io);
	rule_set_free(rs);

	rs = load(_metadata, put_text, "", path, err, sizeof(err));
	ASSERT_NE(NULL, rs) TH_LOG("%s", err);
	EXPECT_EQ(0, rs->count) TH_LOG("an empty file is an empty set");
	rule_set_free(rs);
}

/* A file refused, and the one line that says where and why. */
static void refused(struct __test_metadata *_metadata,
		    void (*fill)(FILE *, const void *), const void *arg,
		    const char *fmt)
{
	char err[512], path[sizeof(TMPL)], want[600];
	struct rule_set *rs = load(_metadata, fill, arg, path, err,
				   sizeof(err));

	snprintf(want, sizeof(want), fmt, path);
	EXPECT_NULL(rs);
	EXPECT_STREQ(want, err);
	rule_set_free(rs);
}

TEST(a_bad_line_is_named)
{
	refused(_metadata, put_text, "read delay=1ms\n# ok\nraed delay=1ms\n"
		"write delay=1ms\n", "%s:3: unknown op 'raed'");
	refused(_metadata, put_nul_line, NULL, "%s:2: NUL byte in line");
}

TEST(a_file_that_cannot_be_read)
{
	char err[512];

	EXPECT_NULL(rule_set_load("/nonexistent/x.rules", err, sizeof(err)));
	EXPECT_STREQ("/nonexistent/x.rules: No such file or directory", err);
	EXPECT_NULL(rule_set_load("/tmp", err, sizeof(err)));
	EXPECT_STREQ("/tmp: Is a directory", err);
}

TEST(load_limits)
{
	char err[512], path[sizeof(TMPL)];
	struct rule_set *rs;
	size_t len = RULES_MAX_LINE_LEN;
	long lines = RULES_MAX_LINES;

	rs = load(_metadata, put_long_line, &len, path, err, sizeof(err));
	EXPECT_NE(NULL, rs) TH_LOG("a 4096-byte line: %s", err);
	EXPECT_EQ(1, rs ? rs->count : 0);
	rule_set_free(rs);
	rs = load(_metadata, put_lines, &lines, path, err, sizeof(err));
	EXPECT_NE(NULL, rs) TH_LOG("100000 lines: %s", err);
	EXPECT_EQ(1, rs ? rs->count : 0);
	rule_set_free(rs);

	len++;
	refused(_metadata, put_long_line, &len,
		"%s:1: line longer than 4096 bytes");
	lines++;
	refused(_metadata, put_lines, &lines, "%s: more than 100000 lines");
}

/* ---- matching --------------------------------------------------------- */

static struct rule_set *set_of(struct __test_metadata *_metadata,
			       const char *const *lines)
{
	struct rule_set *rs = rule_set_new();
	char err[256];

	ASSERT_NE(NULL, rs);
	for (; *lines; lines++)
		ASSERT_EQ(0, rule_set_add_line(rs, *lines, err, sizeof(err)))
			TH_LOG("'%s': %s", *lines, err);
	return rs;
}

static int match_idx(const struct rule_set *rs, int op, const char *path)
{
	const struct rule *r = rule_set_match(rs, op, path);

	return r ? (int)(r - rs->rules) : -1;
}

static const char *const match_lines[] = {
	"read path=/abs delay=1ms",      /* 0 */
	"read path=sub/* delay=2ms",     /* 1 */
	"read path=*.dat delay=3ms",     /* 2 */
	"* path=*.dat delay=4ms",        /* 3 */
	"write delay=5ms",               /* 4 */
	"read delay=6ms",                /* 5 */
	NULL,
};

/* An op and path, and the rule of match_lines that matches (-1: none). */
static const struct {
	int op;
	const char *path;
	int rule;
} matches[] = {
	{ LAG_OP_READ, "/abs", 0 },
	{ LAG_OP_READ, "/x/abs", 5 },		/* '/abs' is anchored */
	{ LAG_OP_READ, "/sub/f", 1 },
	{ LAG_OP_READ, "/a/b/sub/f", 1 },	/* 'sub/...' at any depth */
	{ LAG_OP_READ, "/asub/f", 5 },		/* ... of a whole name */
	{ LAG_OP_READ, "/x/y.dat", 2 },		/* '*' across slashes */
	{ LAG_OP_READ, "/sub/y.dat", 1 },	/* the first match wins */
	{ LAG_OP_GETATTR, "/y.dat", 3 },	/* '*' matches any op */
	/* a '*' rule before a write rule wins where its path matches */
	{ LAG_OP_WRITE, "/y.dat", 3 },
	{ LAG_OP_WRITE, "/y.txt", 4 },
	{ LAG_OP_GETATTR, "/y.txt", -1 },
	{ LAG_OP_READ, NULL, 5 },		/* NULL skips globs */
};

TEST(match)
{
	struct rule_set *rs = set_of(_metadata, match_lines);

	for (size_t i = 0; i < ARRAY_SIZE(matches); i++)
		EXPECT_EQ(matches[i].rule, match_idx(rs, matches[i].op,
						     matches[i].path))
			TH_LOG("%s %s", lag_op_names[matches[i].op],
			       matches[i].path ? matches[i].path : "NULL");
	/* a '*' rule sets every op bit */
	EXPECT_EQ((1ull << LAG_OP_COUNT) - 1, rs->op_mask);
	EXPECT_TRUE(rs->any_path);
	rule_set_free(rs);
	EXPECT_NULL(rule_set_match(NULL, LAG_OP_READ, "/x"));
}

/* rule_glob_match must agree with path= on every glob and path here. */
TEST(glob_match_agrees_with_path_rules)
{
	static const char *const globs[] = {
		"/abs", "sub/*", "*.dat", "x.dat", "a/b", "f?o", "[ab]/c", "*",
	};
	static const char *const paths[] = {
		"/abs", "/x/abs", "/sub/f", "/a/sub/f", "/asub/f", "/y.dat",
		"/q/x.dat", "/ax.dat", "/a/b", "/z/a/b", "/foo", "/d/fxo",
		"/b/c", "/", "",
	};
	struct rule r;
	char line[64], err[128];

	for (size_t g = 0; g < ARRAY_SIZE(globs); g++) {
		snprintf(line, sizeof(line), "read path=%s delay=1ms",
			 globs[g]);
		ASSERT_EQ(0, rule_parse(line, &r, err, sizeof(err)))
			TH_LOG("'%s': %s", line, err);
		for (size_t p = 0; p < ARRAY_SIZE(paths); p++)
			EXPECT_EQ(fnmatch(r.path_glob, paths[p], 0) == 0,
				  rule_glob_match(globs[g], paths[p]))
				TH_LOG("'%s' vs '%s'", globs[g], paths[p]);
		rule_free(&r);
	}
	EXPECT_TRUE(rule_glob_match("sub/*", "/a/sub/f"));
	EXPECT_FALSE(rule_glob_match("sub/*", "/asub/f"));
	EXPECT_FALSE(rule_glob_match("/abs", "/x/abs"));
	EXPECT_FALSE(rule_glob_match(NULL, "/a"));
	EXPECT_FALSE(rule_glob_match("*", NULL));
}

TEST(direct_io)
{
	static const char *const lines[] = {
		"open path=*.db prob=0 direct_io",
		"open delay=1ms",
		"create path=/tmp/* direct_io",
		NULL,
	};
	struct rule_set *rs = set_of(_metadata, lines);

	/* an open of a matching path, whatever prob says */
	EXPECT_TRUE(rule_set_direct_io(rs, LAG_OP_OPEN, "/a.db"));
	EXPECT_FALSE(rule_set_direct_io(rs, LAG_OP_OPEN, "/a.txt"));
	/* create follows the create rules */
	EXPECT_FALSE(rule_set_direct_io(rs, LAG_OP_CREATE, "/a.db"));
	EXPECT_TRUE(rule_set_direct_io(rs, LAG_OP_CREATE, "/tmp/x"));
	EXPECT_FALSE(rule_set_direct_io(rs, LAG_OP_READ, "/a.db"));
	rule_set_free(rs);
}

TEST(dup_and_growth)
{
	struct rule_set *rs = rule_set_new(), *d;
	char line[64], err[256];

	ASSERT_NE(NULL, rs);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "read path=/f%d delay=%dns", i,
			 i + 1);
		ASSERT_EQ(0, rule_set_add_line(rs, line, err, sizeof(err)))
			TH_LOG("%s", err);
	}
	EXPECT_EQ(1000, rs->count);
	EXPECT_EQ(1000, rule_set_match(rs, LAG_OP_READ, "/f999")->delay_ns);
	d = rule_set_dup(rs);
	ASSERT_NE(NULL, d);
	/* a deep copy */
	EXPECT_EQ(1000, d->count);
	EXPECT_NE(rs->rules, d->rules);
	EXPECT_NE(rs->rules[5].path_glob, d->rules[5].path_glob);
	EXPECT_EQ(rs->op_mask, d->op_mask);
	EXPECT_TRUE(d->any_path);
	rule_set_free(rs);
	/* the copy outlives the original and grows */
	EXPECT_STREQ("read path=/f999 delay=1000ns", d->rules[999].text);
	EXPECT_EQ(0, rule_set_add_line(d, "write delay=1ms", err, sizeof(err)));
	EXPECT_EQ(1001, d->count);
	EXPECT_EQ(&d->rules[7], rule_set_match(d, LAG_OP_READ, "/f7"));
	rule_set_free(d);
}

TEST(add_takes_the_strings)
{
	struct rule_set *rs = rule_set_new();
	struct rule r;
	char err[64];

	ASSERT_NE(NULL, rs);
	ASSERT_EQ(0, rule_parse("read path=x delay=1ms", &r, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(0, rule_set_add(rs, &r));
	EXPECT_NULL(r.path_glob);
	EXPECT_NULL(r.text);
	EXPECT_STREQ("*/x", rs->rules[0].path_glob);
	rule_free(&r);
	rule_set_free(rs);
}

/* ---- drawing ---------------------------------------------------------- */

/* How often r applies in n draws. */
static int applies(const struct rule *r, unsigned *seed, int n)
{
	int yes = 0;

	for (int i = 0; i < n; i++)
		yes += rule_applies(r, seed);
	return yes;
}

TEST(prob)
{
	struct rule r = { .prob = 1 };
	unsigned seed = 7, before = seed;
	int yes;

	/* 1 and 0: always and never, without drawing */
	EXPECT_EQ(1000, applies(&r, &seed, 1000));
	EXPECT_EQ(before, seed);
	r.prob = 0;
	EXPECT_EQ(0, applies(&r, &seed, 1000));
	EXPECT_EQ(before, seed);
	r.prob = 0.25;
	yes = applies(&r, &seed, 100000);
	EXPECT_LT(24000, yes);
	EXPECT_GT(26000, yes);
}

/* Over n draws: the smallest and largest delay, and how many fell out of
 * [delay, delay + jitter). */
static int draw(const struct rule *r, unsigned *seed, int n, uint64_t *lo,
		uint64_t *hi)
{
	int out = 0;

	*lo = UINT64_MAX;
	*hi = 0;
	for (int i = 0; i < n; i++) {
		uint64_t d = rule_delay_ns(r, seed);

		out += d < r->delay_ns || d >= r->delay_ns + r->jitter_ns;
		*lo = d < *lo ? d : *lo;
		*hi = d > *hi ? d : *hi;
	}
	return out;
}

TEST(jitter)
{
	struct rule r = { .delay_ns = 10 * MS, .jitter_ns = 5 * MS };
	unsigned seed = 3, before;
	uint64_t lo, hi;

	/* delay + jitter stays in [10ms, 15ms), and spans it */
	EXPECT_EQ(0, draw(&r, &seed, 100000, &lo, &hi));
	EXPECT_GT(10 * MS + 100000, lo);
	EXPECT_LT(15 * MS - 100000, hi);
	/* a 1000s jitter uses all of its range */
	r.jitter_ns = 1000 * S;
	EXPECT_EQ(0, draw(&r, &seed, 10000, &lo, &hi));
	EXPECT_LT(990 * S, hi);
	/* 1ns adds nothing */
	r.jitter_ns = 1;
	EXPECT_EQ(10 * MS, rule_delay_ns(&r, &seed));
	/* no jitter: the fixed delay, without drawing */
	r.jitter_ns = 0;
	before = seed;
	EXPECT_EQ(10 * MS, rule_delay_ns(&r, &seed));
	EXPECT_EQ(before, seed);
}

TEST_HARNESS_MAIN
