/* rules: rule syntax, error texts, rules files and their limits, matching. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "rules.h"
#include "tap.h"

#define MS 1000000ull
#define S 1000000000ull

static const char *const want_names[LAG_OP_COUNT] = {
	"lookup", "forget", "getattr", "setattr", "readlink", "mknod",
	"mkdir", "unlink", "rmdir", "symlink", "rename", "link", "open",
	"read", "write", "flush", "release", "fsync", "opendir", "readdir",
	"releasedir", "fsyncdir", "statfs", "setxattr", "getxattr",
	"listxattr", "removexattr", "create", "fallocate", "readdirplus",
};

static void test_op_names(void)
{
	int bad = 0;

	for (int i = 0; i < LAG_OP_COUNT; i++)
		if (strcmp(lag_op_names[i], want_names[i]) ||
		    lag_op_from_name(want_names[i]) != i)
			bad++;
	ok(bad == 0, "lag_op_names matches the enum and lag_op_from_name");
	ok(lag_op_from_name("READ") == -1 && lag_op_from_name("") == -1 &&
	   lag_op_from_name("*") == -1 && lag_op_from_name(NULL) == -1,
	   "unknown names give -1");
}

/* Parse a line that must be accepted; r is freed by the caller. */
static int parses(const char *line, struct rule *r)
{
	char err[256] = "";
	int rc = rule_parse(line, r, err, sizeof(err));

	ok(rc == 0, "parses '%s' (%s)", line, err);
	return rc;
}

static void test_parse_keys(void)
{
	struct rule r;

	if (!parses("read delay=10ms", &r)) {
		ok(r.op == LAG_OP_READ && r.delay_ns == 10 * MS &&
		   r.jitter_ns == 0 && r.prob == 1 && !r.hold && !r.direct_io &&
		   !r.eintr && !r.path_glob && !strcmp(r.text, "read delay=10ms"),
		   "delay= and the defaults");
		rule_free(&r);
	}
	if (!parses("  *\tpath=*.dat delay=1.5ms jitter=500us prob=0.25 eintr  ",
		    &r)) {
		ok(r.op == -1 && !strcmp(r.path_glob, "*.dat") &&
		   r.delay_ns == 1500000 && r.jitter_ns == 500000 &&
		   r.prob == 0.25 && r.eintr,
		   "*, path=, jitter=, prob=, eintr");
		ok(!strcmp(r.text, "*\tpath=*.dat delay=1.5ms jitter=500us "
			   "prob=0.25 eintr"), "text is the rule, trimmed");
		rule_free(&r);
	}
	if (!parses("read hold keep max=2s", &r)) {
		ok(r.hold && r.keep && r.max_ns == 2000 * MS,
		   "keep: a hold that interrupts do not end");
		rule_free(&r);
	}
	if (!parses("write hold", &r)) {
		ok(!r.keep, "a hold ends on interrupt unless keep");
		ok(r.hold && r.max_ns == RULE_HOLD_DEFAULT_MAX_NS &&
		   r.delay_ns == 0, "hold defaults to max=60s");
		rule_free(&r);
	}
	if (!parses("fsync hold max=inf", &r)) {
		ok(r.hold && r.max_ns == DURATION_INF, "max=inf: no limit");
		rule_free(&r);
	}
	if (!parses("flush hold max=250ms", &r)) {
		ok(r.max_ns == 250 * MS, "max=250ms");
		rule_free(&r);
	}
	if (!parses("open direct_io", &r)) {
		ok(r.op == LAG_OP_OPEN && r.direct_io, "direct_io on open");
		rule_free(&r);
	}
	if (!parses("create path=/d/* direct_io delay=1s", &r)) {
		ok(r.direct_io && r.delay_ns == S && !strcmp(r.path_glob, "/d/*"),
		   "direct_io with a delay on create");
		rule_free(&r);
	}
	if (!parses("read jitter=2ms", &r)) {
		ok(r.delay_ns == 0 && r.jitter_ns == 2 * MS, "jitter alone");
		rule_free(&r);
	}
	if (!parses("read delay=1ms prob=0", &r)) {
		ok(r.prob == 0, "prob=0");
		rule_free(&r);
	}
	if (!parses("lookup path=my\\ file delay=1ms", &r)) {
		ok(!strcmp(r.path_glob, "*/my\\ file"),
		   "a backslash keeps a blank in the glob");
		rule_free(&r);
	}
}

static void test_globs(void)
{
	struct rule r;

	if (!parses("read path=sub/* delay=1ms", &r)) {
		ok(!strcmp(r.path_glob, "*/sub/*"), "'sub/...' is anchored "
		   "anywhere: %s", r.path_glob);
		rule_free(&r);
	}
	if (!parses("read path=/abs delay=1ms", &r)) {
		ok(!strcmp(r.path_glob, "/abs"), "'/abs' stays");
		rule_free(&r);
	}
	if (!parses("read path=*.dat delay=1ms", &r)) {
		ok(!strcmp(r.path_glob, "*.dat"), "'*.dat' stays");
		rule_free(&r);
	}
	if (!parses("read path=x.dat delay=1ms", &r)) {
		ok(!strcmp(r.path_glob, "*/x.dat"), "'x.dat' gets '*' '/'");
		rule_free(&r);
	}
}

static void refuses(const char *line, const char *want)
{
	struct rule r;
	char err[256] = "";
	int rc = rule_parse(line, &r, err, sizeof(err));

	ok(rc == -1 && !strcmp(err, want), "'%s': \"%s\" (got \"%s\")", line,
	   want, err);
	if (!rc)
		rule_free(&r);
}

static void test_parse_errors(void)
{
	refuses("raed delay=1ms", "unknown op 'raed'");
	refuses("read dealy=10ms", "unknown key 'dealy'");
	refuses("read delay=1ms fast", "unknown key 'fast'");
	refuses("read delay=10", "bad delay '10': missing unit (ns, us, ms, s)");
	refuses("read delay=-1ms", "bad delay '-1ms': negative");
	refuses("read delay=", "bad delay '': empty");
	refuses("read delay=inf", "bad delay 'inf': must be finite (use hold)");
	refuses("read delay=1ms jitter=x",
		"bad jitter 'x': not a number");
	refuses("read delay=1ms jitter=inf",
		"bad jitter 'inf': must be finite (use hold)");
	refuses("read delay=1ms prob=1.5",
		"bad prob '1.5': must be between 0 and 1");
	refuses("read delay=1ms prob=-0.1",
		"bad prob '-0.1': must be between 0 and 1");
	refuses("read delay=1ms prob=nan",
		"bad prob 'nan': must be between 0 and 1");
	refuses("read delay=1ms prob=half", "bad prob 'half': not a number");
	refuses("read delay=1ms prob=", "bad prob '': not a number");
	refuses("read delay=1ms prob=0.5x", "bad prob '0.5x': not a number");
	refuses("read hold max=5", "bad max '5': missing unit (ns, us, ms, s)");
	refuses("read delay=1ms max=5s", "max= needs hold");
	refuses("read delay=1ms direct_io",
		"direct_io only applies to open and create");
	refuses("* direct_io", "direct_io only applies to open and create");
	refuses("read", "rule does nothing");
	refuses("read path=/x prob=0.5", "rule does nothing");
	refuses("read delay=0ms", "rule does nothing");
	refuses("read hold delay=1ms",
		"hold and delay=/jitter= do not mix (use max=)");
	refuses("read hold eintr", "eintr needs delay= or jitter=");
	refuses("read delay=1ms keep", "keep needs hold");
	refuses("read hold keep=1", "keep takes no value");
	refuses("read hold keep keep", "duplicate key 'keep'");
	refuses("read delay=1ms delay=2ms", "duplicate key 'delay'");
	refuses("read hold hold", "duplicate key 'hold'");
	refuses("read hold=1", "hold takes no value");
	refuses("read delay", "delay needs a value (delay=...)");
	refuses("read path= delay=1ms", "bad path '': empty glob");
	refuses("read delay=18446744073s jitter=1s",
		"delay + jitter too large");
	refuses("", "empty rule");
	refuses("   ", "empty rule");
}

static void test_set_lines(void)
{
	struct rule_set *rs = rule_set_new();
	char err[256] = "";

	ok(rs && rs->count == 0 && rs->op_mask == 0 && !rs->any_path,
	   "a new set is empty");
	if (!rs)
		return;
	ok(rule_set_add_line(rs, "", err, sizeof(err)) == 0 &&
	   rule_set_add_line(rs, "  \t ", err, sizeof(err)) == 0 &&
	   rule_set_add_line(rs, "# read delay=1ms", err, sizeof(err)) == 0 &&
	   rule_set_add_line(rs, "   # indented", err, sizeof(err)) == 0 &&
	   rs->count == 0, "blank and comment lines add nothing");
	ok(rule_set_add_line(rs, "read delay=1ms # slow reads", err,
			     sizeof(err)) == 0 && rs->count == 1 &&
	   !strcmp(rs->rules[0].text, "read delay=1ms"),
	   "a trailing comment is dropped");
	ok(rule_set_add_line(rs, "write delay=2ms#no space", err,
			     sizeof(err)) == 0 && rs->count == 2,
	   "a comment needs no blank before it");
	ok(rule_set_add_line(rs, "open path=a\\#b delay=1ms", err,
			     sizeof(err)) == 0 && rs->count == 3 &&
	   !strcmp(rs->rules[2].path_glob, "*/a\\#b") &&
	   rule_set_match(rs, LAG_OP_OPEN, "/x/a#b") == &rs->rules[2],
	   "a backslash keeps '#' in a glob");
	ok(rule_set_add_line(rs, "reed delay=1ms # typo", err,
			     sizeof(err)) == -1 &&
	   !strcmp(err, "unknown op 'reed'") && rs->count == 3,
	   "a bad line is refused and adds nothing (%s)", err);
	ok(rs->op_mask == (1ull << LAG_OP_READ | 1ull << LAG_OP_WRITE |
			   1ull << LAG_OP_OPEN) && rs->any_path,
	   "op_mask and any_path follow the rules");
	rule_set_free(rs);
}

/* ---- files ------------------------------------------------------------ */

static char tmpl[] = "/tmp/test_rules.XXXXXX";

/* A temp file made by a callback; returns its path (static) or NULL. */
static const char *temp_file(void (*fill)(FILE *f, void *arg), void *arg)
{
	static char path[sizeof(tmpl)];
	int fd;
	FILE *f;

	memcpy(path, tmpl, sizeof(tmpl));
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return NULL;
	}
	fill(f, arg);
	if (fclose(f))
		return NULL;
	return path;
}

static void put_text(FILE *f, void *arg)
{
	fputs(arg, f);
}

/* Load text as a file; returns the set (or NULL) and fills err/path. */
static struct rule_set *load_text(const char *text, char *err, size_t len,
				  char *path, size_t plen)
{
	const char *p = temp_file(put_text, (void *)text);
	struct rule_set *rs;

	if (!p) {
		snprintf(err, len, "cannot make a temp file");
		return NULL;
	}
	snprintf(path, plen, "%s", p);
	rs = rule_set_load(p, err, len);
	unlink(p);
	return rs;
}

static void test_load(void)
{
	char err[512] = "", path[64], want[600];
	struct rule_set *rs;

	rs = load_text("# slow storage\n\nread delay=10ms\r\n"
		       "  write path=*.log hold max=1s   # park log writes\n"
		       "open direct_io", err, sizeof(err), path, sizeof(path));
	ok(rs && rs->count == 3 && rs->rules[0].op == LAG_OP_READ &&
	   rs->rules[1].hold && rs->rules[1].max_ns == S &&
	   rs->rules[2].direct_io,
	   "a file with comments, blanks, CRLF and no final newline (%s)",
	   err);
	rule_set_free(rs);

	rs = load_text("read delay=1ms\n# ok\nraed delay=1ms\nwrite delay=1ms\n",
		       err, sizeof(err), path, sizeof(path));
	snprintf(want, sizeof(want), "%s:3: unknown op 'raed'", path);
	ok(!rs && !strcmp(err, want), "a bad line is named: \"%s\"", err);
	rule_set_free(rs);

	rs = load_text("", err, sizeof(err), path, sizeof(path));
	ok(rs && rs->count == 0, "an empty file is an empty set");
	rule_set_free(rs);

	rs = rule_set_load("/nonexistent/x.rules", err, sizeof(err));
	ok(!rs && !strcmp(err, "/nonexistent/x.rules: No such file or directory"),
	   "a missing file: \"%s\"", err);
	rs = rule_set_load("/tmp", err, sizeof(err));
	ok(!rs && !strcmp(err, "/tmp: Is a directory"), "a directory: \"%s\"",
	   err);
	rule_set_free(rs);
}

static void put_nul_line(FILE *f, void *arg)
{
	(void)arg;
	fputs("read delay=1ms\n", f);
	fwrite("write\0delay=1ms\n", 1, 16, f);
}

/* line 1: a comment of n bytes in all; line 2: a rule */
static void put_long_line(FILE *f, void *arg)
{
	size_t n = *(size_t *)arg;

	fputc('#', f);
	for (size_t i = 1; i < n; i++)
		fputc('x', f);
	fputs("\nread delay=1ms\n", f);
}

static void put_lines(FILE *f, void *arg)
{
	long n = *(long *)arg;

	fputs("read delay=1ms\n", f);
	for (long i = 1; i < n; i++)
		fputs(i % 2 ? "# filler\n" : "\n", f);
}

static struct rule_set *load_made(void (*fill)(FILE *, void *), void *arg,
				  char *path, char *err, size_t len)
{
	const char *p = temp_file(fill, arg);
	struct rule_set *rs;

	if (!p) {
		snprintf(err, len, "cannot make a temp file");
		return NULL;
	}
	strcpy(path, p);
	err[0] = '\0';
	rs = rule_set_load(p, err, len);
	unlink(p);
	return rs;
}

static void test_load_limits(void)
{
	char err[512] = "", path[sizeof(tmpl)], want[600];
	struct rule_set *rs;
	size_t len;
	long lines;

	len = RULES_MAX_LINE_LEN;
	rs = load_made(put_long_line, &len, path, err, sizeof(err));
	ok(rs && rs->count == 1, "a 4096-byte line is fine (%s)", err);
	rule_set_free(rs);

	len = RULES_MAX_LINE_LEN + 1;
	rs = load_made(put_long_line, &len, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:1: line longer than 4096 bytes", path);
	ok(!rs && !strcmp(err, want), "a 4097-byte line: \"%s\"", err);
	rule_set_free(rs);

	lines = RULES_MAX_LINES;
	rs = load_made(put_lines, &lines, path, err, sizeof(err));
	ok(rs && rs->count == 1, "100000 lines are fine (%s)", err);
	rule_set_free(rs);

	lines = RULES_MAX_LINES + 1;
	rs = load_made(put_lines, &lines, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: more than 100000 lines", path);
	ok(!rs && !strcmp(err, want), "100001 lines: \"%s\"", err);
	rule_set_free(rs);

	rs = load_made(put_nul_line, NULL, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	ok(!rs && !strcmp(err, want), "a NUL byte: \"%s\"", err);
	rule_set_free(rs);
}

/* ---- matching --------------------------------------------------------- */

static struct rule_set *set_of(const char *const *lines)
{
	struct rule_set *rs = rule_set_new();
	char err[256];

	for (; rs && *lines; lines++) {
		if (rule_set_add_line(rs, *lines, err, sizeof(err))) {
			ok(0, "set_of: '%s': %s", *lines, err);
			rule_set_free(rs);
			return NULL;
		}
	}
	return rs;
}

static int match_idx(const struct rule_set *rs, int op, const char *path)
{
	const struct rule *r = rule_set_match(rs, op, path);

	return r ? (int)(r - rs->rules) : -1;
}

static void test_match(void)
{
	static const char *const lines[] = {
		"read path=/abs delay=1ms",      /* 0 */
		"read path=sub/* delay=2ms",     /* 1 */
		"read path=*.dat delay=3ms",     /* 2 */
		"* path=*.dat delay=4ms",        /* 3 */
		"write delay=5ms",               /* 4 */
		"read delay=6ms",                /* 5 */
		NULL,
	};
	struct rule_set *rs = set_of(lines);

	if (!rs)
		return;
	ok(match_idx(rs, LAG_OP_READ, "/abs") == 0, "'/abs' matches /abs");
	ok(match_idx(rs, LAG_OP_READ, "/x/abs") == 5,
	   "'/abs' does not match /x/abs");
	ok(match_idx(rs, LAG_OP_READ, "/sub/f") == 1, "'sub/*' matches /sub/f");
	ok(match_idx(rs, LAG_OP_READ, "/a/b/sub/f") == 1,
	   "'sub/*' matches /a/b/sub/f");
	ok(match_idx(rs, LAG_OP_READ, "/asub/f") == 5,
	   "'sub/*' does not match /asub/f");
	ok(match_idx(rs, LAG_OP_READ, "/x/y.dat") == 2,
	   "'*.dat' matches /x/y.dat across slashes");
	ok(match_idx(rs, LAG_OP_READ, "/sub/y.dat") == 1,
	   "the first matching rule wins");
	ok(match_idx(rs, LAG_OP_GETATTR, "/y.dat") == 3, "'*' matches any op");
	ok(match_idx(rs, LAG_OP_WRITE, "/y.dat") == 3 &&
	   match_idx(rs, LAG_OP_WRITE, "/y.txt") == 4,
	   "a '*' rule before a write rule wins only where its path matches");
	ok(match_idx(rs, LAG_OP_GETATTR, "/y.txt") == -1, "no match: NULL");
	ok(match_idx(rs, LAG_OP_READ, NULL) == 5,
	   "a NULL path skips rules with a glob");
	ok(rs->op_mask == (1ull << LAG_OP_COUNT) - 1 && rs->any_path,
	   "a '*' rule sets every op bit");
	rule_set_free(rs);
	ok(rule_set_match(NULL, LAG_OP_READ, "/x") == NULL, "a NULL set matches "
	   "nothing");
}

/* rule_glob_match must agree with path= on every glob and path here. */
static void test_glob_match(void)
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
	int differ = 0;

	for (size_t g = 0; g < sizeof(globs) / sizeof(globs[0]); g++) {
		snprintf(line, sizeof(line), "read path=%s delay=1ms", globs[g]);
		if (rule_parse(line, &r, err, sizeof(err))) {
			ok(0, "'%s': %s", line, err);
			continue;
		}
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			bool want = fnmatch(r.path_glob, paths[p], 0) == 0;

			if (rule_glob_match(globs[g], paths[p]) != want) {
				printf("# '%s' vs '%s' differs\n", globs[g],
				       paths[p]);
				differ++;
			}
		}
		rule_free(&r);
	}
	ok(differ == 0, "rule_glob_match agrees with path= normalisation");
	ok(rule_glob_match("sub/*", "/a/sub/f") &&
	   !rule_glob_match("sub/*", "/asub/f") &&
	   !rule_glob_match("/abs", "/x/abs") && !rule_glob_match(NULL, "/a") &&
	   !rule_glob_match("*", NULL), "rule_glob_match spot checks");
}

static void test_direct_io(void)
{
	static const char *const lines[] = {
		"open path=*.db prob=0 direct_io",
		"open delay=1ms",
		"create path=/tmp/* direct_io",
		NULL,
	};
	struct rule_set *rs = set_of(lines);

	if (!rs)
		return;
	ok(rule_set_direct_io(rs, LAG_OP_OPEN, "/a.db"),
	   "open of a matching path: direct_io, whatever prob says");
	ok(!rule_set_direct_io(rs, LAG_OP_OPEN, "/a.txt"),
	   "open of another path: none");
	ok(!rule_set_direct_io(rs, LAG_OP_CREATE, "/a.db") &&
	   rule_set_direct_io(rs, LAG_OP_CREATE, "/tmp/x"),
	   "create follows create rules");
	ok(!rule_set_direct_io(rs, LAG_OP_READ, "/a.db"),
	   "not for other ops");
	rule_set_free(rs);
}

static void test_dup_and_growth(void)
{
	struct rule_set *rs = rule_set_new(), *d;
	char line[64], err[256];
	int bad = 0;

	for (int i = 0; rs && i < 1000; i++) {
		snprintf(line, sizeof(line), "read path=/f%d delay=%dns", i,
			 i + 1);
		if (rule_set_add_line(rs, line, err, sizeof(err)))
			bad++;
	}
	ok(rs && !bad && rs->count == 1000, "1000 rules are added");
	if (!rs)
		return;
	ok(rule_set_match(rs, LAG_OP_READ, "/f999")->delay_ns == 1000,
	   "the last one matches");
	d = rule_set_dup(rs);
	ok(d && d->count == 1000 && d->rules != rs->rules &&
	   d->rules[5].path_glob != rs->rules[5].path_glob &&
	   d->op_mask == rs->op_mask && d->any_path,
	   "dup is a deep copy");
	rule_set_free(rs);
	if (!d)
		return;
	ok(!strcmp(d->rules[999].text, "read path=/f999 delay=1000ns") &&
	   rule_set_add_line(d, "write delay=1ms", err, sizeof(err)) == 0 &&
	   d->count == 1001 && rule_set_match(d, LAG_OP_READ, "/f7") ==
	   &d->rules[7], "the copy outlives the original and grows");
	rule_set_free(d);
}

static void test_add_ownership(void)
{
	struct rule_set *rs = rule_set_new();
	struct rule r;
	char err[64];

	if (!rs || rule_parse("read path=x delay=1ms", &r, err, sizeof(err))) {
		ok(0, "setup: %s", err);
		rule_set_free(rs);
		return;
	}
	ok(rule_set_add(rs, &r) == 0 && !r.path_glob && !r.text &&
	   !strcmp(rs->rules[0].path_glob, "*/x"),
	   "rule_set_add takes the strings");
	rule_free(&r);
	rule_set_free(rs);
}

/* ---- drawing ---------------------------------------------------------- */

static void test_prob(void)
{
	struct rule r = { .prob = 1 };
	unsigned seed = 7, before = seed;
	int yes = 0;

	for (int i = 0; i < 1000; i++)
		yes += rule_applies(&r, &seed);
	ok(yes == 1000 && seed == before, "prob 1: always, without drawing");
	r.prob = 0;
	yes = 0;
	for (int i = 0; i < 1000; i++)
		yes += rule_applies(&r, &seed);
	ok(yes == 0 && seed == before, "prob 0: never, without drawing");
	r.prob = 0.25;
	yes = 0;
	for (int i = 0; i < 100000; i++)
		yes += rule_applies(&r, &seed);
	ok(yes > 24000 && yes < 26000, "prob 0.25: %d of 100000", yes);
}

static void test_jitter(void)
{
	struct rule r = { .delay_ns = 10 * MS, .jitter_ns = 5 * MS };
	unsigned seed = 3, before;
	uint64_t lo = UINT64_MAX, hi = 0;
	int out = 0;

	for (int i = 0; i < 100000; i++) {
		uint64_t d = rule_delay_ns(&r, &seed);

		out += d < r.delay_ns || d >= r.delay_ns + r.jitter_ns;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(out == 0, "delay + jitter stays in [10ms, 15ms) over 100000 draws");
	ok(lo < 10 * MS + 100000 && hi > 15 * MS - 100000,
	   "and spans it: %llu..%llu", (unsigned long long)lo,
	   (unsigned long long)hi);

	r.jitter_ns = 1000 * S;
	hi = 0;
	out = 0;
	for (int i = 0; i < 10000; i++) {
		uint64_t d = rule_delay_ns(&r, &seed);

		out += d < r.delay_ns || d >= r.delay_ns + r.jitter_ns;
		hi = d > hi ? d : hi;
	}
	ok(out == 0 && hi > 990 * S, "a 1000s jitter uses all of its range "
	   "(max %llu)", (unsigned long long)hi);

	r.jitter_ns = 1;
	ok(rule_delay_ns(&r, &seed) == 10 * MS, "jitter 1ns adds nothing");
	r.jitter_ns = 0;
	before = seed;
	ok(rule_delay_ns(&r, &seed) == 10 * MS && seed == before,
	   "no jitter: the fixed delay, without drawing");
}

int main(void)
{
	test_op_names();
	test_parse_keys();
	test_globs();
	test_parse_errors();
	test_set_lines();
	test_load();
	test_load_limits();
	test_match();
	test_glob_match();
	test_direct_io();
	test_dup_and_growth();
	test_add_ownership();
	test_prob();
	test_jitter();
	return tap_done();
}
