/* lag_event: the exact line format, escaping, lossy paths, and parse errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lag_event.h"
#include "tap.h"

static char line[LAG_LINE_MAX];

/* s without its final newline, for TAP messages (which are one line). */
static const char *chomp(const char *s)
{
	static char buf[LAG_LINE_MAX];
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

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

static void test_init(void)
{
	struct lag_event e;
	uint64_t before = lag_now_ns();

	memset(&e, 0xaa, sizeof(e));
	lag_event_init(&e, LAG_EV_PARK);
	ok(e.kind == LAG_EV_PARK && !strcmp(lag_event_ev(&e), "park"),
	   "init sets ev");
	ok(e.t_ns >= before && e.t_ns <= lag_now_ns(), "init sets t_ns to now");
	ok(e.unique == 0 && e.pid == 0 && e.path_len == 0 && e.path[0] == 0 &&
	   e.detail[0] == 0 && e.hold == 0 && e.path_cut == 0,
	   "init zeroes the rest");
	lag_event_set_ev(&e, "a-kind-name-far-longer-than-ev-can-hold");
	ok(e.kind == LAG_EV_ANSWER && strlen(lag_event_ev(&e)) == sizeof(e.op) - 1,
	   "a long kind is cut to fit");
}

static void test_format_exact(void)
{
	struct lag_event e;
	size_t n;

	sample(&e);
	n = lag_event_format(&e, line, sizeof(line));
	ok(n == strlen(sample_line) && !strcmp(line, sample_line),
	   "mandatory keys in order, no optional ones: %s", chomp(line));

	strcpy(e.op, "read");
	strcpy(e.how, "max");
	e.hold = 1;
	e.open_t_ns = 900;
	strcpy(e.detail, "v1");
	n = lag_event_format(&e, line, sizeof(line));
	ok(n && !strcmp(line,
	   "{\"t_ns\":1000,\"ev\":\"open\",\"unique\":7,\"pid\":42,\"uid\":1000,"
	   "\"ino\":5,\"fh\":3,\"path\":\"/a/b\",\"flags\":32770,\"result\":-13,"
	   "\"delay_ns\":-1,\"op\":\"read\",\"how\":\"max\",\"hold\":1,"
	   "\"open_t_ns\":900,\"detail\":\"v1\"}\n"),
	   "optional keys after, in order: %s", chomp(line));
}

static void test_format_extremes(void)
{
	struct lag_event e, back;
	char err[128];

	sample(&e);
	e.t_ns = UINT64_MAX;
	e.pid = INT64_MIN;
	e.uid = UINT32_MAX;
	e.fh = UINT64_MAX;
	e.delay_ns = INT64_MAX;
	ok(lag_event_format(&e, line, sizeof(line)) &&
	   strstr(line, "\"t_ns\":18446744073709551615,") &&
	   strstr(line, "\"pid\":-9223372036854775808,") &&
	   strstr(line, "\"uid\":4294967295,") &&
	   strstr(line, "\"delay_ns\":9223372036854775807}"),
	   "64-bit extremes are written in full");
	ok(lag_event_parse(line, strlen(line), &back, err, sizeof(err)) == 0 &&
	   back.t_ns == UINT64_MAX && back.pid == INT64_MIN &&
	   back.uid == UINT32_MAX && back.fh == UINT64_MAX &&
	   back.delay_ns == INT64_MAX, "64-bit extremes parse back");
}

static void test_format_cap(void)
{
	struct lag_event e;
	char small[sizeof(sample_line)];

	sample(&e);
	ok(lag_event_format(&e, small, sizeof(small)) == sizeof(small) - 1,
	   "a buffer of exactly line + NUL is enough");
	ok(lag_event_format(&e, small, sizeof(small) - 1) == 0,
	   "one byte less gives 0");
	ok(lag_event_format(&e, small, 10) == 0, "a tiny buffer gives 0");
}

static void test_escaping(void)
{
	struct lag_event e;
	const char path[] = "/q\"b\\n\nt\tc\x01" "d\x1f" "e\x7f/\r\b\f";

	sample(&e);
	lag_event_set_path(&e, path, sizeof(path) - 1);
	strcpy(e.detail, "say \"hi\"\\\n");
	strcpy(e.op, "o\"p");
	strcpy(e.how, "h\\w");
	ok(lag_event_format(&e, line, sizeof(line)) > 0, "formats");
	ok(strstr(line, "\"path\":\"/q\\\"b\\\\n\\nt\\tc\\u0001d\\u001fe\x7f/"
		   "\\r\\b\\f\",") != NULL,
	   "path: quote, backslash, \\n \\t \\r \\b \\f, \\u00XX: %s", chomp(line));
	ok(!strstr(line, "path_hex"), "valid UTF-8 control chars: no path_hex");
	ok(strstr(line, "\"detail\":\"say \\\"hi\\\"\\\\\\n\"}") != NULL,
	   "detail escaped");
	ok(strstr(line, "\"op\":\"o\\\"p\",\"how\":\"h\\\\w\"") != NULL,
	   "op and how escaped");
	ok(strchr(line, '\n') == line + strlen(line) - 1,
	   "the only raw newline ends the line");
}

static void test_utf8_valid(void)
{
	struct lag_event e;
	/* 2-, 3- and 4-byte sequences, and the edges of the valid ranges */
	const char path[] = "/caf\xc3\xa9/\xe6\x97\xa5/\xf0\x9f\x98\x80"
			    "/\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf";

	sample(&e);
	lag_event_set_path(&e, path, sizeof(path) - 1);
	lag_event_format(&e, line, sizeof(line));
	ok(strstr(line, path) && !strstr(line, "path_hex"),
	   "valid UTF-8 passes through untouched");
}

/* A raw path whose lossy form and hex are both checked, then parsed back. */
static void lossy(const char *name, const char *raw, size_t len,
		  const char *want_path, const char *want_hex)
{
	struct lag_event e, back;
	char want[256], err[128];

	sample(&e);
	lag_event_set_path(&e, raw, len);
	lag_event_format(&e, line, sizeof(line));
	snprintf(want, sizeof(want),
		 "\"path\":\"%s\",\"flags\":32770,\"result\":-13,"
		 "\"delay_ns\":-1,\"path_hex\":\"%s\"}", want_path, want_hex);
	ok(strstr(line, want) != NULL, "%s: U+FFFD per bad byte + path_hex: %s",
	   name, chomp(line));
	ok(lag_event_parse(line, strlen(line), &back, err, sizeof(err)) == 0 &&
	   back.path_len == len && !memcmp(back.path, raw, len) &&
	   back.path[len] == 0, "%s: parses back to the raw bytes", name);
}

#define R "\xef\xbf\xbd"

static void test_utf8_invalid(void)
{
	lossy("lone 0xff", "/a\xff", 3, "/a" R, "2f61ff");
	lossy("lone continuation", "/\x80x", 3, "/" R "x", "2f8078");
	lossy("overlong C0 AF", "/\xc0\xaf", 3, "/" R R, "2fc0af");
	lossy("overlong E0 80 AF", "/\xe0\x80\xaf", 4, "/" R R R, "2fe080af");
	lossy("overlong F0 8F BF BF", "/\xf0\x8f\xbf\xbf", 5, "/" R R R R,
	      "2ff08fbfbf");
	lossy("surrogate ED A0 80", "/\xed\xa0\x80", 4, "/" R R R, "2feda080");
	lossy("above U+10FFFF", "/\xf4\x90\x80\x80", 5, "/" R R R R,
	      "2ff4908080");
	lossy("F5 lead", "/\xf5\x80", 3, "/" R R, "2ff580");
	lossy("cut sequence", "/\xe2\x82", 3, "/" R R, "2fe282");
	lossy("cut then ASCII", "/\xe2\x82z\xc3\xa9", 6, "/" R R "z\xc3\xa9",
	      "2fe2827ac3a9");
	lossy("bad byte beside control char", "/\x01\xfe", 3, "/\\u0001" R,
	      "2f01fe");
}

static void test_long_path(void)
{
	static char raw[LAG_PATH_MAX + 10];
	struct lag_event e, back;
	char err[128];

	memset(raw, 'x', sizeof(raw));
	raw[0] = '/';
	sample(&e);
	lag_event_set_path(&e, raw, sizeof(raw));
	ok(e.path_len == LAG_PATH_MAX && e.path_cut == 1 &&
	   e.path[LAG_PATH_MAX] == 0, "a long path is cut and says so");
	ok(lag_event_format(&e, line, sizeof(line)) &&
	   strstr(line, ",\"path_cut\":1}"), "path_cut is logged");
	ok(lag_event_parse(line, strlen(line), &back, err, sizeof(err)) == 0 &&
	   back.path_cut == 1 && back.path_len == LAG_PATH_MAX,
	   "path_cut parses back");
	lag_event_set_path(&e, raw, LAG_PATH_MAX);
	ok(e.path_len == LAG_PATH_MAX && e.path_cut == 0,
	   "a path of exactly LAG_PATH_MAX is not cut");
}

/* The longest line there can be still fits LAG_LINE_MAX and parses back. */
static void test_worst_case(void)
{
	static char raw[LAG_PATH_MAX];
	static struct lag_event e, back;
	char err[128];
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
	ok(n > 0 && n < LAG_LINE_MAX, "worst case fits LAG_LINE_MAX (%zu)", n);
	ok(lag_event_parse(line, n, &back, err, sizeof(err)) == 0 &&
	   back.path_len == sizeof(raw) && !memcmp(back.path, raw, sizeof(raw)) &&
	   !strcmp(back.detail, e.detail) && back.hold == e.hold &&
	   back.open_t_ns == UINT64_MAX && back.flags == INT64_MIN,
	   "worst case parses back (%s)", err);
}

static void test_parse_ok(void)
{
	struct lag_event e;
	char err[128] = "";
	static const char *const full =
		"{\"t_ns\":5,\"ev\":\"read\",\"unique\":9,\"pid\":-1,\"uid\":0,"
		"\"ino\":2,\"fh\":4,\"path\":\"/x y\",\"flags\":0,\"result\":0,"
		"\"delay_ns\":100,\"op\":\"read\",\"how\":\"interrupt\","
		"\"hold\":1,\"open_t_ns\":3,\"detail\":\"d\",\"future\":[1,{}]}";

	ok(lag_event_parse(sample_line, strlen(sample_line), &e, err,
			   sizeof(err)) == 0 && e.t_ns == 1000 &&
	   e.kind == LAG_EV_OPEN && e.unique == 7 && e.pid == 42 &&
	   e.uid == 1000 && e.ino == 5 && e.fh == 3 && e.path_len == 4 &&
	   !strcmp(e.path, "/a/b") && e.flags == 0100002 && e.result == -13 &&
	   e.delay_ns == -1 && !e.op[0] && !e.how[0] && !e.hold &&
	   !e.open_t_ns && !e.detail[0], "the sample line parses (%s)", err);
	ok(lag_event_parse(full, strlen(full), &e, err, sizeof(err)) == 0 &&
	   !strcmp(e.op, "read") && !strcmp(e.how, "interrupt") &&
	   e.hold == 1 && e.open_t_ns == 3 && !strcmp(e.detail, "d") &&
	   !strcmp(e.path, "/x y") && e.pid == -1,
	   "optional keys parse; unknown keys are ignored (%s)", err);
	ok(lag_event_parse(sample_line, strlen(sample_line) - 1, &e, err,
			   sizeof(err)) == 0, "a line without its newline parses");
	snprintf(line, sizeof(line), "%.*s\r\n",
		 (int)strlen(sample_line) - 1, sample_line);
	ok(lag_event_parse(line, strlen(line), &e, err, sizeof(err)) == 0,
	   "a CRLF line parses");
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
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
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

static void rejects(const char *what, const char *text, const char *want)
{
	struct lag_event e;
	char err[128] = "";

	ok(lag_event_parse(text, strlen(text), &e, err, sizeof(err)) == -1 &&
	   !strcmp(err, want), "%s: \"%s\" (got \"%s\")", what, want, err);
}

static void test_parse_missing(void)
{
	struct lag_event e;
	char want[64], err[128] = "";

	build(NULL, NULL, NULL);
	ok(lag_event_parse(line, strlen(line), &e, err, sizeof(err)) == 0 &&
	   e.fh == 6 && !strcmp(e.path, "/p"), "the built line parses (%s)",
	   err);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		build(keys[i], NULL, NULL);
		snprintf(want, sizeof(want), "missing key '%s'", keys[i]);
		rejects("missing", line, want);
	}
}

static void wrong(const char *key, const char *val, const char *want)
{
	build(NULL, key, val);
	rejects(val, line, want);
}

static void test_parse_types(void)
{
	wrong("pid", "\"1\"", "key 'pid': not an integer");
	wrong("pid", "1.0", "key 'pid': not an integer");
	wrong("fh", "true", "key 'fh': not an integer");
	wrong("fh", "null", "key 'fh': not an integer");
	wrong("t_ns", "[1]", "key 't_ns': not an integer");
	wrong("ev", "1", "key 'ev': not a string");
	wrong("path", "{}", "key 'path': not a string");
	wrong("t_ns", "-1", "key 't_ns': out of range");
	wrong("uid", "-1", "key 'uid': out of range");
	wrong("uid", "4294967296", "key 'uid': out of range");
	wrong("flags", "9223372036854775808", "key 'flags': out of range");
	wrong("extra", "\"hold\":2147483648", "key 'hold': out of range");
	wrong("extra", "\"detail\":5", "key 'detail': not a string");
	wrong("extra", "\"path_hex\":\"2f6\"",
	      "key 'path_hex': odd number of digits");
	wrong("extra", "\"path_hex\":\"2fzz\"",
	      "key 'path_hex': not a hex digit");
	wrong("extra", "\"path_hex\":12", "key 'path_hex': not a string");
	wrong("ev", "\"aaaaaaaaaaaaaaaaaaaaaaaa\"",
	      "key 'ev': string longer than 23 bytes");
	wrong("extra", "\"how\":\"aaaaaaaaaaaaaaaa\"",
	      "key 'how': string longer than 15 bytes");
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

static void test_parse_oversize(void)
{
	struct lag_event e;
	char err[128] = "";

	build(NULL, "extra", long_str("\"detail\":", 255));
	ok(lag_event_parse(line, strlen(line), &e, err, sizeof(err)) == 0 &&
	   strlen(e.detail) == 255, "a 255-byte detail fits (%s)", err);
	wrong("extra", long_str("\"detail\":", 256),
	      "key 'detail': string longer than 255 bytes");
	wrong("path", long_str("", LAG_PATH_MAX + 1),
	      "key 'path': string longer than 4096 bytes");
}

static void test_parse_not_json(void)
{
	struct lag_event e;
	char err[128];
	static const char nul[] = "{\"t_ns\":1\0}";

	rejects("empty", "", "empty line");
	rejects("blank", "  \n", "empty line");
	rejects("array", "[1,2]\n", "not a JSON object");
	rejects("number", "42\n", "not a JSON object");
	rejects("null", "null\n", "not a JSON object");
	rejects("cut", "{\"t_ns\":1,\"ev\":\"op", "not JSON: unexpected end of line");
	rejects("words", "hello", "not a JSON object");
	ok(lag_event_parse("{hello}", 7, &e, err, sizeof(err)) == -1 &&
	   !strncmp(err, "not JSON: ", 10), "braced words are not JSON (%s)",
	   err);
	ok(lag_event_parse(nul, sizeof(nul) - 1, &e, err, sizeof(err)) == -1 &&
	   !strcmp(err, "not JSON: NUL byte in line"), "NUL byte (%s)", err);
	ok(lag_event_parse("{\"a\":\"\xff\"}", 9, &e, err, sizeof(err)) == -1 &&
	   !strncmp(err, "not JSON: ", 10), "invalid UTF-8 in the line (%s)",
	   err);
	ok(lag_event_parse("{\"a\":1,}", 8, &e, err, sizeof(err)) == -1 &&
	   !strncmp(err, "not JSON: ", 10), "trailing comma (%s)", err);

	build(NULL, NULL, NULL);
	strcpy(strrchr(line, '}') + 1, " x\n");
	rejects("garbage", line, "trailing garbage after the JSON object");
	build(NULL, NULL, NULL);
	strcpy(strrchr(line, '}') + 1, "{}");
	rejects("two objects", line, "trailing garbage after the JSON object");
	ok(lag_event_parse(NULL, 0, &e, NULL, 0) == -1,
	   "NULL line and NULL err do not crash");
}

/* Mutated lines: parse must return 0 or -1 with a reason, never crash. */
static void test_parse_mutations(void)
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
		if (rc == 0)
			accepted++;
		else if (rc != -1 || !err[0] || strchr(err, '\n'))
			bad++;
	}
	ok(bad == 0, "20000 mutated lines: each accepted or refused with a "
	   "one-line reason (%d accepted)", accepted);
}

int main(void)
{
	test_init();
	test_format_exact();
	test_format_extremes();
	test_format_cap();
	test_escaping();
	test_utf8_valid();
	test_utf8_invalid();
	test_long_path();
	test_worst_case();
	test_parse_ok();
	test_parse_missing();
	test_parse_types();
	test_parse_oversize();
	test_parse_not_json();
	test_parse_mutations();
	return tap_done();
}
