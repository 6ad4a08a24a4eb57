/*
 * lag_event: one event <-> one JSON line.
 *
 * The writer is hand-made because it runs on lagfs's request path: no
 * allocation, no locale, no stdio. The reader uses json-c, because a reader
 * of untrusted lines is where hand-written parsers go wrong.
 */
#include "lag_event.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "base.h"
#include "names.h"
#include "report_err.h"
#include "utf8.h"

/* ---- kinds ------------------------------------------------------------ */

static const char *const kind_names[LAG_EV_N] = {
	[LAG_EV_START] = "start", [LAG_EV_OPEN] = "open",
	[LAG_EV_CREATE] = "create", [LAG_EV_FLUSH] = "flush",
	[LAG_EV_RELEASE] = "release", [LAG_EV_INTERRUPT] = "interrupt",
	[LAG_EV_PARK] = "park", [LAG_EV_RELOAD] = "reload",
	[LAG_EV_UNRELEASED] = "unreleased", [LAG_EV_EXIT] = "exit",
	[LAG_EV_MARK] = "mark",
};

const char *lag_ev_name(unsigned kind)
{
	return kind < LAG_EV_N ? kind_names[kind] : NULL;
}

int lag_ev_kind_of(const char *name)
{
	return name_index(kind_names, LAG_EV_N, name);
}

const char *lag_ev_string(unsigned kind, const char *op)
{
	const char *name = lag_ev_name(kind);

	return name ? name : op;
}

const char *lag_event_ev(const struct lag_event *e)
{
	return lag_ev_string(e->kind, e->op);
}

void lag_event_set_ev(struct lag_event *e, const char *ev)
{
	int k = lag_ev_kind_of(ev);

	e->kind = k < 0 ? LAG_EV_ANSWER : (enum lag_ev_kind)k;
	if (k < 0)
		snprintf(e->op, sizeof(e->op), "%s", ev ? ev : "");
}

/* ---- the fields ------------------------------------------------------- */

/*
 * One table per group of keys, in the documented order, for both the
 * writer and the reader, so the two cannot disagree about a key.
 * K_EV: "ev", written from kind (and op); read into a buffer of its own
 * and then parsed into kind (and op), once the "op" key is read.
 * K_PATH: "path", with "path_hex" after the mandatory keys when lossy.
 * K_FLAG: an int written as 1 when it is set. K_OP: a string not written
 * for an answer, whose op is its "ev".
 */
enum kind { K_U64, K_I64, K_U32, K_INT, K_FLAG, K_STR, K_OP, K_PATH, K_EV };

struct field {
	const char *key;
	enum kind kind;
	size_t off;     /* in struct lag_event; K_EV: in its buffer */
	size_t size;    /* K_STR, K_OP, K_EV: buffer size, NUL included */
};

/* A member of struct lag_event and its key, which has the member's name. */
#define F(member, kind) \
	{ #member, kind, offsetof(struct lag_event, member), \
	  sizeof(((struct lag_event *)0)->member) }

/* Mandatory, so the first missing one is named. */
static const struct field mandatory[] = {
	F(t_ns, K_U64), { "ev", K_EV, 0, sizeof(((struct lag_event *)0)->op) },
	F(unique, K_U64), F(pid, K_I64), F(uid, K_U32), F(ino, K_U64),
	F(fh, K_U64), F(path, K_PATH), F(flags, K_I64), F(result, K_I64),
	F(delay_ns, K_I64),
};

/* Written only when set (non-zero, non-empty). */
static const struct field optional[] = {
	F(path_cut, K_FLAG), F(op, K_OP), F(how, K_STR), F(hold, K_INT),
	F(open_t_ns, K_U64), F(detail, K_STR),
};

static bool is_str(enum kind kind)
{
	return kind == K_STR || kind == K_OP || kind == K_EV;
}

/* ---- writing ---------------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

/* An output cursor; "full" sticks, so callers check once at the end. */
struct out {
	char *p;
	char *end;
	bool full;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void put_c(struct out *o, char c)
{
	put(o, &c, 1);
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, tmp + i, sizeof(tmp) - i);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put_c(o, '-');
		/* via unsigned, so INT64_MIN does not overflow */
		put_u64(o, -(uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

static void put_escaped_ctl(struct out *o, unsigned char c)
{
	char esc[6] = { '\\', 'u', '0', '0', hex_digits[c >> 4],
			hex_digits[c & 15] };

	switch (c) {
	case '"': put(o, "\\\"", 2); return;
	case '\\': put(o, "\\\\", 2); return;
	case '\b': put(o, "\\b", 2); return;
	case '\f': put(o, "\\f", 2); return;
	case '\n': put(o, "\\n", 2); return;
	case '\r': put(o, "\\r", 2); return;
	case '\t': put(o, "\\t", 2); return;
	}
	put(o, esc, sizeof(esc));
}

/*
 * s[0..n) as a quoted JSON string. Bytes that are not valid UTF-8 become
 * U+FFFD, one per byte; returns whether that happened.
 */
static bool put_str(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	bool lossy = false;

	put_c(o, '"');
	while (i < n) {
		unsigned char c = u[i];
		size_t l;

		/* copy plain ASCII in runs: paths are mostly that */
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		put(o, s + run, i - run);
		l = utf8_len(u + i, n - i);
		if (l == 1) {
			put_escaped_ctl(o, c);
		} else if (l) {
			put(o, s + i, l);
		} else {
			put(o, "\xef\xbf\xbd", 3);
			lossy = true;
			l = 1;
		}
		i += l;
		run = i;
	}
	put(o, s + run, i - run);
	put_c(o, '"');
	return lossy;
}

static void put_hex(struct out *o, const char *s, size_t n)
{
	put_c(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char h[2] = { hex_digits[c >> 4], hex_digits[c & 15] };

		put(o, h, 2);
	}
	put_c(o, '"');
}

static void put_cstr(struct out *o, const char *s, size_t size)
{
	put_str(o, s, strnlen(s, size));
}

static size_t path_len(const struct lag_event *e)
{
	/* tolerate a path filled in by hand without path_len */
	if (!e->path_len)
		return strnlen(e->path, LAG_PATH_MAX);
	return e->path_len < LAG_PATH_MAX ? e->path_len : LAG_PATH_MAX;
}

/* sep: '{' for the first key, ',' for the others */
static void put_key(struct out *o, char sep, const char *key)
{
	put_c(o, sep);
	put_c(o, '"');
	put(o, key, strlen(key));
	put(o, "\":", 2);
}

/* The field's value; for the path, returns whether it was lossy. */
static bool put_value(struct out *o, const struct field *f,
		      const struct lag_event *e)
{
	const char *m = (const char *)e + f->off;

	switch (f->kind) {
	case K_U64: put_u64(o, *(const uint64_t *)m); break;
	case K_I64: put_i64(o, *(const int64_t *)m); break;
	case K_U32: put_u64(o, *(const uint32_t *)m); break;
	case K_INT: put_i64(o, *(const int *)m); break;
	case K_FLAG: put_c(o, '1'); break;
	case K_STR:
	case K_OP: put_cstr(o, m, f->size); break;
	case K_EV: put_cstr(o, lag_event_ev(e), f->size); break;
	case K_PATH: return put_str(o, e->path, path_len(e));
	}
	return false;
}

static bool is_set(const struct field *f, const struct lag_event *e)
{
	const char *m = (const char *)e + f->off;

	switch (f->kind) {
	case K_U64: return *(const uint64_t *)m;
	case K_INT:
	case K_FLAG: return *(const int *)m;
	case K_OP: return m[0] && e->kind != LAG_EV_ANSWER;
	case K_STR: return m[0];
	default: return true;   /* the mandatory kinds */
	}
}

/* On success buf is also NUL-terminated (the NUL must fit in cap). */
size_t lag_event_format(const struct lag_event *e, char *buf, size_t cap)
{
	struct out o = { buf, buf + cap, false };
	bool lossy = false;

	if (!buf || !cap)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(mandatory); i++) {
		put_key(&o, i ? ',' : '{', mandatory[i].key);
		lossy |= put_value(&o, &mandatory[i], e);
	}
	if (lossy) {
		put_key(&o, ',', "path_hex");
		put_hex(&o, e->path, path_len(e));
	}
	for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
		if (!is_set(&optional[i], e))
			continue;
		put_key(&o, ',', optional[i].key);
		put_value(&o, &optional[i], e);
	}
	put(&o, "}\n", 3);
	if (o.full)
		return 0;
	return (size_t)(o.p - buf) - 1;
}

void lag_event_init(struct lag_event *e, enum lag_ev_kind kind)
{
	memset(e, 0, sizeof(*e));
	e->t_ns = lag_now_ns();
	e->kind = kind;
}

void lag_event_set_path(struct lag_event *e, const char *path, size_t len)
{
	if (!path)
		len = 0;
	e->path_cut = len > LAG_PATH_MAX;
	if (e->path_cut)
		len = LAG_PATH_MAX;
	if (len)
		memcpy(e->path, path, len);
	e->path[len] = '\0';
	e->path_len = len;
}

/* ---- reading ---------------------------------------------------------- */

/* Whether an integer fits the field; json-c clamps what is beyond 64 bits. */
static bool int_fits(enum kind kind, int64_t s, uint64_t u)
{
	switch (kind) {
	case K_U64: return s >= 0;
	case K_U32: return s >= 0 && u <= UINT32_MAX;
	case K_I64: return s < 0 || u <= INT64_MAX;
	case K_INT:
	case K_FLAG: return s >= INT_MIN && s <= INT_MAX;
	default: return false;
	}
}

static int get_int(struct json_object *v, const struct field *f,
		   void *base, char *err, size_t errlen)
{
	char *dst = (char *)base + f->off;
	int64_t s;
	uint64_t u;

	if (!json_object_is_type(v, json_type_int))
		return errf(err, errlen, "key '%s': not an integer", f->key);
	s = json_object_get_int64(v);
	u = s < 0 ? 0 : json_object_get_uint64(v);
	if (!int_fits(f->kind, s, u))
		return errf(err, errlen, "key '%s': out of range", f->key);
	switch (f->kind) {
	case K_U64: *(uint64_t *)dst = u; break;
	case K_I64: *(int64_t *)dst = s; break;
	case K_U32: *(uint32_t *)dst = (uint32_t)u; break;
	default: *(int *)dst = (int)s; break;
	}
	return 0;
}

/* A string value's bytes; fails if it is not a string or longer than max. */
static int get_bytes(struct json_object *v, const char *key, size_t max,
		     const char **s, size_t *n, char *err, size_t errlen)
{
	int len;

	if (!json_object_is_type(v, json_type_string))
		return errf(err, errlen, "key '%s': not a string", key);
	len = json_object_get_string_len(v);
	*s = json_object_get_string(v);
	if (len < 0 || !*s)
		return errf(err, errlen, "key '%s': bad string", key);
	if ((size_t)len > max)
		return errf(err, errlen, "key '%s': string longer than %zu bytes",
			    key, max);
	*n = (size_t)len;
	return 0;
}

/* The field's value into base + f->off (base: the event, or for K_EV
 * its buffer). */
static int get_field(struct json_object *v, const struct field *f,
		     void *base, char *err, size_t errlen)
{
	const char *s;
	size_t n;

	if (!is_str(f->kind))
		return get_int(v, f, base, err, errlen);
	if (get_bytes(v, f->key, f->size - 1, &s, &n, err, errlen))
		return -1;
	memcpy((char *)base + f->off, s, n);
	((char *)base)[f->off + n] = '\0';
	return 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int decode_hex(const char *s, size_t n, struct lag_event *e,
		      char *err, size_t errlen)
{
	if (n % 2)
		return errf(err, errlen, "key 'path_hex': odd number of digits");
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_val(s[i]), lo = hex_val(s[i + 1]);

		if (hi < 0 || lo < 0)
			return errf(err, errlen,
				    "key 'path_hex': not a hex digit");
		e->path[i / 2] = (char)(hi << 4 | lo);
	}
	e->path_len = n / 2;
	e->path[e->path_len] = '\0';
	return 0;
}

/* "path" is mandatory; "path_hex", when present, holds the exact bytes. */
static int get_path(struct json_object *obj, struct lag_event *e,
		    char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	size_t n;

	if (!json_object_object_get_ex(obj, "path", &v))
		return errf(err, errlen, "missing key 'path'");
	/* the lossy form may be up to 3 bytes per raw byte */
	if (get_bytes(v, "path", 3 * LAG_PATH_MAX, &s, &n, err, errlen))
		return -1;
	if (json_object_object_get_ex(obj, "path_hex", &v)) {
		if (get_bytes(v, "path_hex", 2 * LAG_PATH_MAX, &s, &n, err,
			      errlen))
			return -1;
		return decode_hex(s, n, e, err, errlen);
	}
	if (n > LAG_PATH_MAX)
		return errf(err, errlen, "key 'path': string longer than %d bytes",
			    LAG_PATH_MAX);
	memcpy(e->path, s, n);
	e->path[n] = '\0';
	e->path_len = n;
	return 0;
}

static int fill(struct json_object *obj, struct lag_event *e, char *err,
		size_t errlen)
{
	char ev[sizeof(e->op)];
	struct json_object *v;

	for (size_t i = 0; i < ARRAY_SIZE(mandatory); i++) {
		const struct field *f = &mandatory[i];

		if (f->kind == K_PATH) {
			if (get_path(obj, e, err, errlen))
				return -1;
			continue;
		}
		if (!json_object_object_get_ex(obj, f->key, &v))
			return errf(err, errlen, "missing key '%s'", f->key);
		if (get_field(v, f, f->kind == K_EV ? (void *)ev : e, err,
			      errlen))
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
		const struct field *f = &optional[i];

		if (json_object_object_get_ex(obj, f->key, &v) &&
		    get_field(v, f, e, err, errlen))
			return -1;
	}
	lag_event_set_ev(e, ev);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int parse_obj(struct json_tokener *tok, const char *line, size_t len,
		     struct lag_event *e, char *err, size_t errlen)
{
	struct json_object *obj;
	enum json_tokener_error jerr;
	int rc;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_ALLOW_TRAILING_CHARS |
				    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj && jerr == json_tokener_continue)
		return errf(err, errlen, "not JSON: unexpected end of line");
	if (!obj && jerr != json_tokener_success)
		return errf(err, errlen, "not JSON: %s",
			    json_tokener_error_desc(jerr));
	if (!json_object_is_type(obj, json_type_object))
		rc = errf(err, errlen, "not a JSON object");
	else if (json_tokener_get_parse_end(tok) != len)
		rc = errf(err, errlen, "trailing garbage after the JSON object");
	else
		rc = fill(obj, e, err, errlen);
	json_object_put(obj);
	return rc;
}

int lag_event_parse(const char *line, size_t len, struct lag_event *e,
		    char *err, size_t errlen)
{
	struct json_tokener *tok;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(e, 0, sizeof(*e));
	if (!line)
		return errf(err, errlen, "no line");
	while (len && is_space(line[len - 1]))
		len--;
	while (len && is_space(*line)) {
		line++;
		len--;
	}
	if (!len)
		return errf(err, errlen, "empty line");
	/* also spares json-c a bare number, which it cannot tell is complete */
	if (*line != '{')
		return errf(err, errlen, "not a JSON object");
	/* json-c takes an int length and would stop at a NUL byte */
	if (len > INT_MAX)
		return errf(err, errlen, "line too long");
	if (memchr(line, '\0', len))
		return errf(err, errlen, "not JSON: NUL byte in line");
	tok = json_tokener_new();
	if (!tok)
		return errf(err, errlen, "out of memory");
	rc = parse_obj(tok, line, len, e, err, errlen);
	json_tokener_free(tok);
	if (rc)
		memset(e, 0, sizeof(*e));
	return rc;
}
