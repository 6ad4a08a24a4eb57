/*
 * rules: parse rule lines and files, and match requests against a set.
 *
 * Words are split on blanks. A backslash keeps the next character in the
 * word (so "path=my\ file" is one word, and "\#" is not a comment); the
 * backslash itself stays, because fnmatch(3) reads it as the same escape.
 */
#include "rules.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "duration.h"
#include "report_err.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* ---- one rule --------------------------------------------------------- */

/* Next blank-separated word of *p, copied into w (a backslash keeps the
 * next character). Returns the length, 0 at the end. */
static size_t next_word(const char **p, char *w)
{
	const char *s = *p;
	size_t n = 0;

	while (is_blank(*s))
		s++;
	while (*s && !is_blank(*s)) {
		if (*s == '\\' && s[1])
			w[n++] = *s++;
		w[n++] = *s++;
	}
	w[n] = '\0';
	*p = s;
	return n;
}

static int parse_dur(const char *key, const char *val, bool finite,
		     uint64_t *ns, char *err, size_t errlen)
{
	const char *why;

	if (duration_parse(val, ns, &why))
		return errf(err, errlen, "bad %s '%s': %s", key, val, why);
	if (finite && *ns == DURATION_INF)
		return errf(err, errlen, "bad %s '%s': must be finite (use hold)",
			    key, val);
	return 0;
}

static int parse_prob(const char *val, double *p, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	*p = strtod(val, &end);
	if (!*val || *end || errno)
		return errf(err, errlen, "bad prob '%s': not a number", val);
	/* written this way round so NaN is refused too */
	if (!(*p >= 0 && *p <= 1))
		return errf(err, errlen, "bad prob '%s': must be between 0 and 1",
			    val);
	return 0;
}

/* A bare relative glob ("sub/x") gets "*" "/" in front: any depth. */
static char *normalise_glob(const char *g)
{
	size_t n = strlen(g);
	char *out;

	if (g[0] == '/' || g[0] == '*')
		return strdup(g);
	out = malloc(n + 3);
	if (!out)
		return NULL;
	memcpy(out, "*/", 2);
	memcpy(out + 2, g, n + 1);
	return out;
}

static int set_path(const char *val, char **glob, char *err, size_t errlen)
{
	if (!*val)
		return errf(err, errlen, "bad path '': empty glob");
	*glob = normalise_glob(val);
	if (!*glob)
		return errf(err, errlen, "out of memory");
	return 0;
}

/* How a key's value parses, and so what its field is. */
enum key_kind {
	KEY_FLAG,      /* no value: sets a bool */
	KEY_GLOB,      /* a path glob (char *) */
	KEY_DELAY,     /* a finite duration (uint64_t ns) */
	KEY_LIMIT,     /* a duration or inf */
	KEY_PROB,      /* 0..1 (double) */
};

/* The words after OP: key=VALUE, or a bare flag. */
struct rule_key {
	const char *name;
	enum key_kind kind;
	size_t field;          /* offsetof(struct rule, what the key sets) */
	const char *help;
};

#define KEY(name, kind, field, help) \
	{ name, kind, offsetof(struct rule, field), help }
static const struct rule_key rule_keys[] = {
	KEY("path", KEY_GLOB, path_glob,
	    "only paths below the mount root that match (fnmatch)"),
	KEY("delay", KEY_DELAY, delay_ns, "answer the request DUR late"),
	KEY("jitter", KEY_DELAY, jitter_ns, "plus a uniform random [0, DUR)"),
	KEY("prob", KEY_PROB, prob, "the chance (0 to 1) the rule applies"),
	KEY("hold", KEY_FLAG, hold,
	    "keep the request until interrupted, max= or released"),
	KEY("max", KEY_LIMIT, max_ns, "the longest hold (default 60s; inf)"),
	KEY("keep", KEY_FLAG, keep, "a hold that interrupts do not end"),
	KEY("direct_io", KEY_FLAG, direct_io,
	    "open, create: uncached IO (FOPEN_DIRECT_IO)"),
	KEY("eintr", KEY_FLAG, eintr, "a delay that an interrupt ends (EINTR)"),
};
#undef KEY

static const char *const kind_arg[] = {
	[KEY_FLAG] = NULL, [KEY_GLOB] = "GLOB", [KEY_DELAY] = "DUR",
	[KEY_LIMIT] = "DUR", [KEY_PROB] = "P",
};

static const struct rule_key *find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rule_keys); i++)
		if (!strcmp(name, rule_keys[i].name))
			return &rule_keys[i];
	return NULL;
}

/* Which keys a line set, a bit per rule_keys entry: each key only once. */
static unsigned key_bit(const struct rule_key *k)
{
	return 1u << (k - rule_keys);
}

void rule_help(FILE *out)
{
	int col = fprintf(out, "Rule: OP");

	for (size_t i = 0; i < ARRAY_SIZE(rule_keys); i++) {
		const struct rule_key *k = &rule_keys[i];
		const char *arg = kind_arg[k->kind];
		int n = (int)strlen(k->name) + (arg ? 1 + (int)strlen(arg) : 0);

		if (col + n + 3 > 76)
			col = fprintf(out, "\n     ") - 1;
		col += fprintf(out, " [%s%s%s]", k->name, arg ? "=" : "",
			       arg ? arg : "");
	}
	fprintf(out, "\n");
	for (size_t i = 0; i < ARRAY_SIZE(rule_keys); i++) {
		const struct rule_key *k = &rule_keys[i];
		const char *arg = kind_arg[k->kind];
		char word[32];

		snprintf(word, sizeof(word), "%s%s%s", k->name, arg ? "=" : "",
			 arg ? arg : "");
		fprintf(out, "  %-14s %s\n", word, k->help);
	}
	fprintf(out, "  OP is an op name (read, write, open, ...) or * for all; "
		"DUR takes ns, us,\n  ms or s (100ms, 1.5s)\n");
}

static int set_key(const struct rule_key *k, const char *val, struct rule *r,
		   char *err, size_t errlen)
{
	void *field = (char *)r + k->field;

	switch (k->kind) {
	case KEY_FLAG:
		*(bool *)field = true;
		return 0;
	case KEY_GLOB:
		return set_path(val, field, err, errlen);
	case KEY_DELAY:
	case KEY_LIMIT:
		return parse_dur(k->name, val, k->kind == KEY_DELAY, field, err,
				 errlen);
	case KEY_PROB:
		return parse_prob(val, field, err, errlen);
	}
	return errf(err, errlen, "key '%s' has no parser", k->name);
}

static int parse_word(char *word, struct rule *r, unsigned *seen, char *err,
		      size_t errlen)
{
	char *eq = strchr(word, '=');
	const struct rule_key *k;

	if (eq)
		*eq = '\0';
	k = find_key(word);
	if (!k)
		return errf(err, errlen, "unknown key '%s'", word);
	if (!eq && k->kind != KEY_FLAG)
		return errf(err, errlen, "%s needs a value (%s=...)", word,
			    word);
	if (eq && k->kind == KEY_FLAG)
		return errf(err, errlen, "%s takes no value", word);
	if (*seen & key_bit(k))
		return errf(err, errlen, "duplicate key '%s'", word);
	*seen |= key_bit(k);
	return set_key(k, eq ? eq + 1 : NULL, r, err, errlen);
}

/* Combinations that are accepted word by word but mean nothing together. */
static int check_rule(struct rule *r, unsigned seen, char *err,
		      size_t errlen)
{
	bool delays = r->delay_ns || r->jitter_ns;
	bool max_given = seen & key_bit(find_key("max"));

	if (max_given && !r->hold)
		return errf(err, errlen, "max= needs hold");
	if (r->hold && delays)
		return errf(err, errlen,
			    "hold and delay=/jitter= do not mix (use max=)");
	if (r->eintr && !delays)
		return errf(err, errlen, "eintr needs delay= or jitter=");
	if (r->keep && !r->hold)
		return errf(err, errlen, "keep needs hold");
	if (r->direct_io && !lag_op_is(r->op, LAG_OP_OPENS))
		return errf(err, errlen,
			    "direct_io only applies to open and create");
	if (!delays && !r->hold && !r->direct_io)
		return errf(err, errlen, "rule does nothing");
	if (r->delay_ns > UINT64_MAX - 1 - r->jitter_ns)
		return errf(err, errlen, "delay + jitter too large");
	if (r->hold && !max_given)
		r->max_ns = RULE_HOLD_DEFAULT_MAX_NS;
	return 0;
}

static int parse_op(const char *word, struct rule *r, char *err,
		    size_t errlen)
{
	if (!strcmp(word, "*")) {
		r->op = -1;
		return 0;
	}
	r->op = lag_op_from_name(word);
	if (r->op < 0)
		return errf(err, errlen, "unknown op '%s'", word);
	return 0;
}

static int parse_words(const char *line, char *word, struct rule *r,
		       char *err, size_t errlen)
{
	unsigned seen = 0;
	const char *p = line;

	if (!next_word(&p, word))
		return errf(err, errlen, "empty rule");
	if (parse_op(word, r, err, errlen))
		return -1;
	while (next_word(&p, word))
		if (parse_word(word, r, &seen, err, errlen))
			return -1;
	return check_rule(r, seen, err, errlen);
}

/* The rule as written, without surrounding blanks. */
/* Whether line[i] is escaped: an odd run of backslashes before it. The
 * text must parse back to the same rule (reload re-reads it), so a blank
 * the user escaped stays. */
static bool escaped(const char *line, size_t i)
{
	size_t k = 0;

	while (k < i && line[i - 1 - k] == '\\')
		k++;
	return k % 2;
}

static char *trimmed_copy(const char *line)
{
	size_t n;

	while (is_blank(*line))
		line++;
	n = strlen(line);
	while (n && is_blank(line[n - 1]) && !escaped(line, n - 1))
		n--;
	return strndup(line, n);
}

int rule_parse(const char *line, struct rule *out, char *err, size_t errlen)
{
	char *word;
	int rc;

	memset(out, 0, sizeof(*out));
	out->prob = 1;
	if (!line)
		return errf(err, errlen, "empty rule");
	/* a word is never longer than the line it came from */
	word = malloc(strlen(line) + 1);
	if (!word)
		return errf(err, errlen, "out of memory");
	rc = parse_words(line, word, out, err, errlen);
	free(word);
	if (!rc) {
		out->text = trimmed_copy(line);
		if (!out->text)
			rc = errf(err, errlen, "out of memory");
	}
	if (rc)
		rule_free(out);
	return rc;
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	free(r->path_glob);
	free(r->text);
	r->path_glob = NULL;
	r->text = NULL;
}

/* ---- sets ------------------------------------------------------------- */

/*
 * The array's capacity follows from count (8, then powers of two), so the
 * struct needs no capacity field and rule_set_dup can size its copy alike.
 */
static size_t capacity_for(size_t count)
{
	size_t cap = 8;

	while (cap < count)
		cap *= 2;
	return cap;
}

struct rule_set *rule_set_new(void)
{
	return calloc(1, sizeof(struct rule_set));
}

static uint64_t op_bits(int op)
{
	if (op < 0 || op >= LAG_OP_COUNT)
		return (1ull << LAG_OP_COUNT) - 1;
	return 1ull << op;
}

int rule_set_add(struct rule_set *rs, struct rule *r)
{
	size_t cap;

	if (!rs || !r)
		return -1;
	cap = capacity_for(rs->count);
	if (!rs->rules || rs->count == cap) {
		size_t ncap = rs->rules ? cap * 2 : cap;
		struct rule *n = reallocarray(rs->rules, ncap, sizeof(*n));

		if (!n)
			return -1;
		rs->rules = n;
	}
	rs->rules[rs->count++] = *r;
	rs->op_mask |= op_bits(r->op);
	rs->any_path |= r->path_glob != NULL;
	/* the set owns the strings now */
	r->path_glob = NULL;
	r->text = NULL;
	return 0;
}

/* Where a comment starts: the first '#' that no backslash protects. */
static const char *comment_start(const char *line)
{
	const char *p;

	for (p = line; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '#')
			break;
	}
	return p;
}

static bool all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

int rule_set_add_line(struct rule_set *rs, const char *line, char *err,
		      size_t errlen)
{
	struct rule r;
	size_t n;
	char *text;
	int rc;

	if (!line)
		return 0;
	/* The rules file's limit, for --rule and the control channel too. */
	if (strlen(line) > RULES_MAX_LINE_LEN)
		return errf(err, errlen, "line longer than %d bytes",
			    RULES_MAX_LINE_LEN);
	n = (size_t)(comment_start(line) - line);
	if (all_blank(line, n))
		return 0;
	text = strndup(line, n);
	if (!text)
		return errf(err, errlen, "out of memory");
	rc = rule_parse(text, &r, err, errlen);
	free(text);
	if (rc)
		return -1;
	if (rule_set_add(rs, &r)) {
		rule_free(&r);
		return errf(err, errlen, rs ? "out of memory" : "no rule set");
	}
	return 0;
}

static int rule_dup(const struct rule *src, struct rule *dst)
{
	*dst = *src;
	dst->path_glob = NULL;
	dst->text = NULL;
	if (src->path_glob) {
		dst->path_glob = strdup(src->path_glob);
		if (!dst->path_glob)
			return -1;
	}
	if (src->text) {
		dst->text = strdup(src->text);
		if (!dst->text) {
			rule_free(dst);
			return -1;
		}
	}
	return 0;
}

struct rule_set *rule_set_dup(const struct rule_set *rs)
{
	struct rule_set *d = rule_set_new();

	if (!d)
		return NULL;
	if (!rs || !rs->count)
		return d;
	d->rules = calloc(capacity_for(rs->count), sizeof(*d->rules));
	if (!d->rules)
		goto fail;
	for (; d->count < rs->count; d->count++)
		if (rule_dup(&rs->rules[d->count], &d->rules[d->count]))
			goto fail;
	d->op_mask = rs->op_mask;
	d->any_path = rs->any_path;
	return d;
fail:
	rule_set_free(d);
	return NULL;
}

void rule_set_free(struct rule_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->count; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	free(rs);
}

/* ---- files ------------------------------------------------------------ */

enum line_status { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL, LINE_ERR };

/*
 * Read one line into buf (RULES_MAX_LINE_LEN + 1 bytes), without its '\n'.
 * Reads at most one byte past the limit, so a huge line costs no memory.
 */
static enum line_status read_line(FILE *f, char *buf)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == RULES_MAX_LINE_LEN)
			return LINE_LONG;
		if (c == '\0')
			return LINE_NUL;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (c == EOF && ferror(f))
		return LINE_ERR;
	if (c == EOF && n == 0)
		return LINE_EOF;
	return LINE_OK;
}

static int load_lines(FILE *f, const char *file, struct rule_set *rs,
		      char *buf, char *err, size_t errlen)
{
	char why[512];

	for (unsigned long line = 1;; line++) {
		enum line_status st = read_line(f, buf);

		if (st == LINE_EOF)
			return 0;
		if (st == LINE_ERR)
			return errf(err, errlen, "%s: %s", file, strerror(errno));
		if (line > RULES_MAX_LINES)
			return errf(err, errlen, "%s: more than %d lines", file,
				    RULES_MAX_LINES);
		if (st == LINE_LONG)
			return errf(err, errlen,
				    "%s:%lu: line longer than %d bytes", file,
				    line, RULES_MAX_LINE_LEN);
		if (st == LINE_NUL)
			return errf(err, errlen, "%s:%lu: NUL byte in line",
				    file, line);
		if (rule_set_add_line(rs, buf, why, sizeof(why)))
			return errf(err, errlen, "%s:%lu: %s", file, line, why);
	}
}

struct rule_set *rule_set_load(const char *file, char *err, size_t errlen)
{
	struct rule_set *rs;
	char *buf;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		errf(err, errlen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	buf = malloc(RULES_MAX_LINE_LEN + 1);
	rs = rule_set_new();
	if (!buf || !rs)
		errf(err, errlen, "%s: %s", file, strerror(ENOMEM));
	if (!buf || !rs || load_lines(f, file, rs, buf, err, errlen)) {
		rule_set_free(rs);
		rs = NULL;
	}
	free(buf);
	fclose(f);
	return rs;
}

/* ---- matching --------------------------------------------------------- */

static bool rule_matches(const struct rule *r, int op, const char *path)
{
	if (r->op != -1 && r->op != op)
		return false;
	if (!r->path_glob)
		return true;
	return path && fnmatch(r->path_glob, path, 0) == 0;
}

const struct rule *rule_set_match(const struct rule_set *rs, int op,
				  const char *path)
{
	if (!rs || !(rs->op_mask & op_bits(op)))
		return NULL;
	for (size_t i = 0; i < rs->count; i++)
		if (rule_matches(&rs->rules[i], op, path))
			return &rs->rules[i];
	return NULL;
}

bool rule_applies(const struct rule *r, unsigned *seed)
{
	if (r->prob >= 1)
		return true;
	if (!(r->prob > 0))
		return false;
	/* RAND_MAX + 1 draws in all, so prob 0.5 is exactly half of them */
	return rand_r(seed) < r->prob * ((double)RAND_MAX + 1);
}

/* 64 uniform bits from rand_r's 31 at a time. */
static uint64_t rand64(unsigned *seed)
{
	uint64_t v = (uint64_t)rand_r(seed);

	v = v << 31 | (uint64_t)rand_r(seed);
	v = v << 31 | (uint64_t)rand_r(seed);
	return v;
}

uint64_t rule_delay_ns(const struct rule *r, unsigned *seed)
{
	uint64_t j = 0;

	if (r->jitter_ns)
		/* scale into [0, jitter) without modulo bias to speak of */
		j = (uint64_t)(((unsigned __int128)rand64(seed) *
				r->jitter_ns) >> 64);
	if (j > UINT64_MAX - 1 - r->delay_ns)
		return UINT64_MAX - 1;
	return r->delay_ns + j;
}

bool rule_set_direct_io(const struct rule_set *rs, int op, const char *path)
{
	if (!rs || !lag_op_is(op, LAG_OP_OPENS))
		return false;
	for (size_t i = 0; i < rs->count; i++) {
		const struct rule *r = &rs->rules[i];

		if (r->direct_io && rule_matches(r, op, path))
			return true;
	}
	return false;
}

bool rule_glob_match(const char *glob, const char *path)
{
	if (!glob || !path)
		return false;
	if (glob[0] == '/' || glob[0] == '*')
		return fnmatch(glob, path, 0) == 0;
	/* "*" "/" GLOB, tried at each slash, so nothing is allocated */
	for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/'))
		if (fnmatch(glob, p + 1, 0) == 0)
			return true;
	return false;
}
