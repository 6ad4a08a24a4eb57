/* lag_event: the exact line format, escaping, lossy paths, and parse errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "harness.h"
#include "lag_event.h"

static char line[LAG_LINE_MAX];

/* A fixed event, so expected lines can be written out in full. */
static void sample(struct lag_event *e)
{
	lag_event_init(e, LAG_EV_OPEN);
	e->t_ns = 1000;
	e->unique = 7;
	e->pid = 42;
	e->uid = 1000;
	e->ino = 5;
	e->fh = 3;
	lag_event_set_path(e, "/a/b", 4);
	e->flags = 0100002;
	e->result = -13;
	e->delay_ns = -1;
}

static const char sample_line[] =
	"{\"t_ns\":1000,\"ev\":\"open\",\"unique\":7,\"pid\":42,\"uid\":1000,"
	"\"ino\":5,\"fh\":3,\"path\":\"/a/b\",\"flags\":32770,\"result\":-13,"
	"\"delay_ns\":-1}\n";

/* Parse line (n bytes) into *e; a refusal fails the test. */
static void parse_ok(struct __test_metadata *_metadata, const char *text,
		     size_t n, struct lag_event *e)
{
	char err[128] = "";

	ASSERT_EQ(0, lag_event_parse(text, n, e, err, sizeof(err)))
		TH_LOG("%s", err);
}

TEST(init)
{
	struct lag_event e;
	uint64_t before = lag_now_ns();

	memset(&e, 0xaa, sizeof(e));
	lag_event_init(&e, LAG_EV_PARK);
	EXPECT_EQ(LAG_EV_PARK, e.kind);
	EXPECT_STREQ("park", lag_event_ev(&e));
	EXPECT_LE(before, e.t_ns);
	EXPECT_GE(lag_now_ns(), e.t_ns);
	/* the rest is zero */
	EXPECT_EQ(0, e.unique);
	EXPECT_EQ(0, e.pid);
	EXPECT_EQ(0, e.path_len);
	EXPECT_EQ(0, e.path[0]);
	EXPECT_EQ(0, e.detail[0]);
	EXPECT_EQ(0, e.hold);
	EXPECT_EQ(0, e.path_cut);
	/* a name that is no kind's is an answer's op, cut to fit */
	lag_event_set_ev(&e, "a-kind-name-far-longer-than-ev-can-hold");
	EXPECT_EQ(LAG_EV_ANSWER, e.kind);
	EXPECT_EQ(sizeof(e.op) - 1, strlen(lag_event_ev(&e)));
}

TEST(format_exact)
{
	struct lag_event e;

	sample(&e);
	/* mandatory keys in order, no optional ones */
	EXPECT_EQ(strlen(sample_line),
		  lag_event_format(&e, line, sizeof(line)));
	EXPECT_STREQ(sample_line, line);

	strcpy(e.op, "read");
	strcpy(e.how, "max");
	e.hold = 1;
	e.open_t_ns = 900;
	strcpy(e.detail, "v1");
	/* optional keys after, in order */
	EXPECT_LT(0, lag_event_format(&e, line, sizeof(line)));
	EXPECT_STREQ("{\"t_ns\":1000,\"ev\":\"open\",\"unique\":7,\"pid\":42,"
		     "\"uid\":1000,\"ino\":5,\"fh\":3,\"path\":\"/a/b\","
		     "\"flags\":32770,\"result\":-13,\"delay_ns\":-1,"
		     "\"op\":\"read\",\"how\":\"max\",\"hold\":1,"
		     "\"open_t_ns\":900,\"detail\":\"v1\"}\n", line);
}

TEST(format_extremes)
{
	struct lag_event e, back;

	sample(&e);
	e.t_ns = UINT64_MAX;
	e.pid = INT64_MIN;
	e.uid = UINT32_MAX;
	e.fh = UINT64_MAX;
	e.delay_ns = INT64_MAX;
	/* 64-bit extremes are written in full */
	ASSERT_LT(0, lag_event_format(&e, line, sizeof(line)));
	EXPECT_IN("\"t_ns\":18446744073709551615,", line);
	EXPECT_IN("\"pid\":-9223372036854775808,", line);
	EXPECT_IN("\"uid\":4294967295,", line);
	EXPECT_IN("\"delay_ns\":9223372036854775807}", line);
	/* and parse back */
	parse_ok(_metadata, line, strlen(line), &back);
	EXPECT_EQ(UINT64_MAX, back.t_ns);
	EXPECT_EQ(INT64_MIN, back.pid);
	EXPECT_EQ(UINT32_MAX, back.uid);
	EXPECT_EQ(UINT64_MAX, back.fh);
	EXPECT_EQ(INT64_MAX, back.delay_ns);
}

TEST(format_needs_room_for_the_line_and_nul)
{
	struct lag_event e;
	char small[sizeof(sample_line)];

	sample(&e);
	EXPECT_EQ(sizeof(small) - 1,
		  lag_event_format(&e, small, sizeof(small)));
	EXPECT_EQ(0, lag_event_format(&e, small, sizeof(small) - 1));
	EXPECT_EQ(0, lag_event_format(&e, small, 10));
}

TEST(escaping)
{
	struct lag_event e;
	const char path[] = "/q\"b\\n\nt\tc\x01" "d\x1f" "e\x7f/\r\b\f";

	sample(&e);
	lag_event_set_path(&e, path, sizeof(path) - 1);
	strcpy(e.detail, "say \"hi\"\\\n");
	strcpy(e.op, "o\"p");
	strcpy(e.how, "h\\w");
	ASSERT_LT(0, lag_event_format(&e, line, sizeof(line)));
	/* quote, backslash, \n \t \r \b \f, \u00XX */
	EXPECT_IN("\"path\":\"/q\\\"b\\\\n\\nt\\tc\\u0001d\\u001fe\x7f/"
		  "\\r\\b\\f\",", line);
	/* valid UTF-8 control chars: no path_hex */
	EXPECT_NOT_IN("path_hex", line);
	EXPECT_IN("\"detail\":\"say \\\"hi\\\"\\\\\\n\"}", line);
	EXPECT_IN("\"op\":\"o\\\"p\",\"how\":\"h\\\\w\"", line);
	/* the only raw newline ends the line */
	EXPECT_EQ(line + strlen(line) - 1, strchr(line, '\n'));
}

TEST(valid_utf8_passes_through)
{
	struct lag_event e;
	/* 2-, 3- and 4-byte sequences, and the edges of the valid ranges */
	const char path[] = "/caf\xc3\xa9/\xe6\x97\xa5/\xf0\x9f\x98\x80"
			    "/\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf";

	sample(&e);
	lag_event_set_path(&e, path, sizeof(path) - 1);
	lag_event_format(&e, line, sizeof(line));
	EXPECT_IN(path, line);
	EXPECT_NOT_IN("path_hex", line);
}

#define R "\xef\xbf\xbd"

/* A raw path, its lossy form (U+FFFD per bad byte) and its hex. */
static const struct lossy {
	const char *name, *raw;
	size_t len;
	const char *path, *hex;
} lossy[] = {
	{ "lone 0xff", "/a\xff", 3, "/a" R, "2f61ff" },
	{ "lone continuation", "/\x80x", 3, "/" R "x", "2f8078" },
	{ "overlong C0 AF", "/\xc0\xaf", 3, "/" R R, "2fc0af" },
	{ "overlong E0 80 AF", "/\xe0\x80\xaf", 4, "/" R R R, "2fe080af" },
	{ "overlong F0 8F BF BF", "/\xf0\x8f\xbf\xbf", 5, "/" R R R R,
	  "2ff08fbfbf" },
	{ "surrogate ED A0 80", "/\xed\xa0\x80", 4, "/" R R R, "2feda080" },
	{ "above U+10FFFF", "/\xf4\x90\x80\x80", 5, "/" R R R R,
	  "2ff4908080" },
	{ "F5 lead", "/\xf5\x80", 3, "/" R R, "2ff580" },
	{ "cut sequence", "/\xe2\x82", 3, "/" R R, "2fe282" },
	{ "cut then ASCII", "/\xe2\x82z\xc3\xa9", 6, "/" R R "z\xc3\xa9",
	  "2fe2827ac3a9" },
	{ "bad byte beside control char", "/\x01\xfe", 3, "/\\u0001" R,
	  "2f01fe" },
};

/* Each is logged lossy with path_hex, and parses back to the raw bytes. */
TEST(invalid_utf8_is_lossy_with_path_hex)
{
	for (size_t i = 0; i < ARRAY_SIZE(lossy); i++) {
		const struct lossy *c = &lossy[i];
		struct lag_event e, back;
		char want[256];

		sample(&e);
		lag_event_set_path(&e, c->raw, c->len);
		lag_event_format(&e, line, sizeof(line));
		snprintf(want, sizeof(want),
			 "\"path\":\"%s\",\"flags\":32770,\"result\":-13,"
			 "\"delay_ns\":-1,\"path_hex\":\"%s\"}", c->path,
			 c->hex);
		EXPECT_IN(want, line) TH_LOG("%s", c->name);
		parse_ok(_metadata, line, strlen(line), &back);
		EXPECT_MEMEQ(c->raw, c->len + 1, back.path, back.path_len + 1)
			TH_LOG("%s", c->name);
	}
}

TEST(long_path_is_cut_and_says_so)
{
	static char raw[LAG_PATH_MAX + 10];
	struct lag_event e, back;

	memset(raw, 'x', sizeof(raw));
	raw[0] = '/';
	sample(&e);
	lag_event_set_path(&e, raw, sizeof(raw));
	EXPECT_EQ(LAG_PATH_MAX, e.path_len);
	EXPECT_EQ(1, e.path_cut);
	EXPECT_EQ(0, e.path[LAG_PATH_MAX]);
	ASSERT_LT(0, lag_event_format(&e, line, sizeof(line)));
	EXPECT_IN(",\"path_cut\":1}", line);
	parse_ok(_metadata, line, strlen(line), &back);
	EXPECT_EQ(1, back.path_cut);
	EXPECT_EQ(LAG_PATH_MAX, back.path_len);
	/* exactly LAG_PATH_MAX is not cut */
	lag_event_set_path(&e, raw, LAG_PATH_MAX);
	EXPECT_EQ(LAG_PATH_MAX, e.path_len);
	EXPECT_EQ(0, e.path_cut);
}

/* The longest line there can be still fits LAG_LINE_MAX and parses back. */
TEST(worst_case_fits)
{
	static char raw[LAG_PATH_MAX];
	static struct lag_event e, back;
	size_t n;

	memset(raw, 0x01, sizeof(raw));
	raw[sizeof(raw) - 1] = (char)0xff;
	sample(&e);
	e.t_ns = e.unique = e.ino = e.fh = e.open_t_ns = UINT64_MAX;
	e.pid = e.flags = e.result = e.delay_ns = INT64_MIN;
	e.hold = -2147483647 - 1;
	lag_event_set_path(&e, raw, sizeof(raw));
	/* (ev: a kind, as an answer's ev is its op and it has no op key) */
	e.kind = LAG_EV_PARK;
	memset(e.op, 0x03, sizeof(e.op) - 1);
	memset(e.how, 0x04, sizeof(e.how) - 1);
	memset(e.detail, 0x05, sizeof(e.detail) - 1);
	n = lag_event_format(&e, line, sizeof(line));
	EXPECT_LT(0, n);
	EXPECT_GT(LAG_LINE_MAX, n);
	parse_ok(_metadata, line, n, &back);
	EXPECT_MEMEQ(raw, sizeof(raw), back.path, back.path_len);
	EXPECT_STREQ(e.detail, back.detail);
	EXPECT_EQ(e.hold, back.hold);
	EXPECT_EQ(UINT64_MAX, back.open_t_ns);
	EXPECT_EQ(INT64_MIN, back.flags);
}

TEST(parse_the_sample)
{
	struct lag_event e;

	parse_ok(_metadata, sample_line, strlen(sample_line), &e);
	EXPECT_EQ(1000, e.t_ns);
	EXPECT_EQ(LAG_EV_OPEN, e.kind);
	EXPECT_EQ(7, e.unique);
	EXPECT_EQ(42, e.pid);
	EXPECT_EQ(1000, e.uid);
	EXPECT_EQ(5, e.ino);
	EXPECT_EQ(3, e.fh);
	EXPECT_EQ(4, e.path_len);
	EXPECT_STREQ("/a/b", e.path);
	EXPECT_EQ(0100002, e.flags);
	EXPECT_EQ(-13, e.result);
	EXPECT_EQ(-1, e.delay_ns);
	EXPECT_STREQ("", e.op);
	EXPECT_STREQ("", e.how);
	EXPECT_EQ(0, e.hold);
	EXPECT_EQ(0, e.open_t_ns);
	EXPECT_STREQ("", e.detail);
}

TEST(parse_optional_keys_and_ignore_unknown_ones)
{
	static const char full[] =
		"{\"t_ns\":5,\"ev\":\"read\",\"unique\":9,\"pid\":-1,\"uid\":0,"
		"\"ino\":2,\"fh\":4,\"path\":\"/x y\",\"flags\":0,\"result\":0,"
		"\"delay_ns\":100,\"op\":\"read\",\"how\":\"interrupt\","
		"\"hold\":1,\"open_t_ns\":3,\"detail\":\"d\","
		"\"future\":[1,{}]}";
	struct lag_event e;

	parse_ok(_metadata, full, strlen(full), &e);
	EXPECT_STREQ("read", e.op);
	EXPECT_STREQ("interrupt", e.how);
	EXPECT_EQ(1, e.hold);
	EXPECT_EQ(3, e.open_t_ns);
	EXPECT_STREQ("d", e.detail);
	EXPECT_STREQ("/x y", e.path);
	EXPECT_EQ(-1, e.pid);
}

TEST(parse_without_newline_or_with_crlf)
{
	struct lag_event e;

	parse_ok(_metadata, sample_line, strlen(sample_line) - 1, &e);
	snprintf(line, sizeof(line), "%.*s\r\n",
		 (int)strlen(sample_line) - 1, sample_line);
	parse_ok(_metadata, line, strlen(line), &e);
}

/*
 * The sample line with one key left out (skip) or given another raw value
 * (key=value in over).
 */
static const char *const keys[] = {
	"t_ns", "ev", "unique", "pid", "uid", "ino", "fh", "path", "flags",
	"result", "delay_ns",
};
static const char *const vals[] = {
	"1", "\"open\"", "2", "3", "4", "5", "6", "\"/p\"", "0", "0", "0",
};

static void build(const char *skip, const char *okey, const char *oval)
{
	size_t n = 0;

	n += (size_t)snprintf(line + n, sizeof(line) - n, "{");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = vals[i];

		if (skip && !strcmp(skip, keys[i]))
			continue;
		if (okey && !strcmp(okey, keys[i]))
			v = oval;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"%s\":%s",
				      n > 1 ? "," : "", keys[i], v);
	}
	if (okey && !strcmp(okey, "extra"))
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",%s", oval);
	snprintf(line + n, sizeof(line) - n, "}\n");
}

/* text (len bytes; 0: all of it) is refused with the reason want. */
static void rejects(struct __test_metadata *_metadata, const char *text,
		    size_t len, const char *want)
{
	struct lag_event e;
	char err[128] = "";

	EXPECT_EQ(-1, lag_event_parse(text, len ? len : strlen(text), &e, err,
				      sizeof(err)))
		TH_LOG("accepted: %s", text);
	EXPECT_STREQ(want, err);
}

TEST(parse_missing_keys)
{
	struct lag_event e;
	char want[64];

	build(NULL, NULL, NULL);
	parse_ok(_metadata, line, strlen(line), &e);
	EXPECT_EQ(6, e.fh);
	EXPECT_STREQ("/p", e.path);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		build(keys[i], NULL, NULL);
		snprintf(want, sizeof(want), "missing key '%s'", keys[i]);
		rejects(_metadata, line, 0, want);
	}
}

/* The sample line with key ("extra": one more) given a bad value: refused,
 * and why. */
static void bad_value(struct __test_metadata *_metadata, const char *key,
		      const char *val, const char *why)
{
	build(NULL, key, val);
	rejects(_metadata, line, 0, why);
}

TEST(parse_bad_values)
{
	bad_value(_metadata, "pid", "\"1\"", "key 'pid': not an integer");
	bad_value(_metadata, "pid", "1.0", "key 'pid': not an integer");
	bad_value(_metadata, "fh", "true", "key 'fh': not an integer");
	bad_value(_metadata, "fh", "null", "key 'fh': not an integer");
	bad_value(_metadata, "t_ns", "[1]", "key 't_ns': not an integer");
	bad_value(_metadata, "ev", "1", "key 'ev': not a string");
	bad_value(_metadata, "path", "{}", "key 'path': not a string");
	bad_value(_metadata, "t_ns", "-1", "key 't_ns': out of range");
	bad_value(_metadata, "uid", "-1", "key 'uid': out of range");
	bad_value(_metadata, "uid", "4294967296", "key 'uid': out of range");
	bad_value(_metadata, "flags", "9223372036854775808", "key 'flags': out of range");
	bad_value(_metadata, "extra", "\"hold\":2147483648", "key 'hold': out of range");
	bad_value(_metadata, "extra", "\"detail\":5", "key 'detail': not a string");
	bad_value(_metadata, "extra", "\"path_hex\":\"2f6\"", "key 'path_hex': odd number of digits");
	bad_value(_metadata, "extra", "\"path_hex\":\"2fzz\"", "key 'path_hex': not a hex digit");
	bad_value(_metadata, "extra", "\"path_hex\":12", "key 'path_hex': not a string");
	bad_value(_metadata, "ev", "\"aaaaaaaaaaaaaaaaaaaaaaaa\"", "key 'ev': string longer than 23 bytes");
	bad_value(_metadata, "extra", "\"how\":\"aaaaaaaaaaaaaaaa\"", "key 'how': string longer than 15 bytes");
}

/* A JSON string of n 'a's after prefix, in a static buffer. */
static const char *long_str(const char *prefix, size_t n)
{
	static char val[LAG_PATH_MAX + 64];
	size_t p = strlen(prefix);

	memcpy(val, prefix, p);
	val[p] = '"';
	memset(val + p + 1, 'a', n);
	strcpy(val + p + 1 + n, "\"");
	return val;
}

TEST(parse_oversize_strings)
{
	struct lag_event e;

	build(NULL, "extra", long_str("\"detail\":", 255));
	parse_ok(_metadata, line, strlen(line), &e);
	EXPECT_EQ(255, strlen(e.detail));
	build(NULL, "extra", long_str("\"detail\":", 256));
	rejects(_metadata, line, 0,
		"key 'detail': string longer than 255 bytes");
	build(NULL, "path", long_str("", LAG_PATH_MAX + 1));
	rejects(_metadata, line, 0,
		"key 'path': string longer than 4096 bytes");
}

/* A line json-c refuses: the reason starts "not JSON: ". */
static void bad_json(struct __test_metadata *_metadata, const char *text)
{
	struct lag_event e;
	char err[128] = "";

	EXPECT_EQ(-1, lag_event_parse(text, strlen(text), &e, err, sizeof(err)))
		TH_LOG("accepted: %s", text);
	EXPECT_EQ(0, strncmp(err, "not JSON: ", 10)) TH_LOG("%s", err);
}

TEST(parse_not_json)
{
	static const char nul[] = "{\"t_ns\":1\0}";
	struct lag_event e;

	rejects(_metadata, "", 0, "empty line");
	rejects(_metadata, "  \n", 0, "empty line");
	rejects(_metadata, "[1,2]\n", 0, "not a JSON object");
	rejects(_metadata, "42\n", 0, "not a JSON object");
	rejects(_metadata, "null\n", 0, "not a JSON object");
	rejects(_metadata, "hello", 0, "not a JSON object");
	rejects(_metadata, "{\"t_ns\":1,\"ev\":\"op", 0, "not JSON: unexpected end of line");
	rejects(_metadata, nul, sizeof(nul) - 1, "not JSON: NUL byte in line");
	bad_json(_metadata, "{hello}");
	bad_json(_metadata, "{\"a\":\"\xff\"}");	/* invalid UTF-8 */
	bad_json(_metadata, "{\"a\":1,}");		/* a trailing comma */
	build(NULL, NULL, NULL);
	strcpy(strrchr(line, '}') + 1, " x\n");
	rejects(_metadata, line, 0,
		"trailing garbage after the JSON object");
	build(NULL, NULL, NULL);
	strcpy(strrchr(line, '}') + 1, "{}");
	rejects(_metadata, line, 0,
		"trailing garbage after the JSON object");
	/* NULL line and NULL err do not crash */
	EXPECT_EQ(-1, lag_event_parse(NULL, 0, &e, NULL, 0));
}

/* Mutated lines: parse must return 0 or -1 with a reason, never crash. */
TEST(parse_mutations)
{
	struct lag_event e;
	char err[128], buf[sizeof(sample_line) + 8];
	unsigned seed = 1;
	int bad = 0, accepted = 0;

	for (int i = 0; i < 20000; i++) {
		size_t n = sizeof(sample_line) - 1;

		memcpy(buf, sample_line, n);
		for (int k = 0; k <= i % 4; k++)
			buf[(size_t)rand_r(&seed) % n] = (char)rand_r(&seed);
		if (i % 3 == 0)
			n = (size_t)rand_r(&seed) % n;
		err[0] = 0;
		int rc = lag_event_parse(buf, n, &e, err, sizeof(err));
		if (rc == 0) {
			accepted++;
		} else if (rc != -1 || !err[0] || strchr(err, '\n')) {
			if (!bad++)
				TH_LOG("mutation %d: rc %d, reason '%s'", i, rc,
				       err);
		}
	}
	/* each accepted or refused with a one-line reason */
	EXPECT_EQ(0, bad) TH_LOG("%d of 20000 accepted", accepted);
}

TEST_HARNESS_MAIN
