#include "judge_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "names.h"
#include "verdict.h"

#define USAGE "lagrace judge LOG --mark TEXT|--reaped-at NS [--ebusy] " \
	      "[--json FILE|-] [--expect race|clean]"

struct judge {
	const char *log, *mark, *json;
	uint64_t t_reap;
	bool have_reap, ebusy;
	enum expect expect;
	struct ev_rec *ev;
	size_t n, cap;
	unsigned long bad_lines;
};

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "lagrace: judge: %s%s%s (usage: " USAGE ")\n", why,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

static int parse(int argc, char **argv, struct judge *j)
{
	static const struct option opts[] = {
		{ "mark", required_argument, NULL, 'm' },
		{ "reaped-at", required_argument, NULL, 'r' },
		{ "ebusy", no_argument, NULL, 'e' },
		{ "json", required_argument, NULL, 'j' },
		{ "expect", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long v;
	char *end;
	int opt, i;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': j->mark = optarg; break;
		case 'r':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-')
				return usage("--reaped-at: not a CLOCK_MONOTONIC "
					     "time in ns:", optarg);
			j->t_reap = v;
			j->have_reap = true;
			break;
		case 'e': j->ebusy = true; break;
		case 'j': j->json = optarg; break;
		case 'x':
			i = name_index(expect_names, EXPECT_N, optarg);
			if (i <= EXPECT_NONE)
				return usage("--expect: race or clean, not",
					     optarg);
			j->expect = (enum expect)i;
			break;
		case ':': return usage("option needs an argument:",
				       argv[optind - 1]);
		default: return usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		j->log = argv[optind++];
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (!j->log)
		return usage("needs the LOG", NULL);
	if (!j->mark == !j->have_reap)
		return usage("needs one of --mark TEXT and --reaped-at NS", NULL);
	return 0;
}

static int add(struct judge *j, const struct lag_event *e)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 1024;
		struct ev_rec *ev = realloc(j->ev, cap * sizeof(*ev));

		if (!ev)
			return -1;
		j->ev = ev;
		j->cap = cap;
	}
	ev_rec_from(&j->ev[j->n++], e);
	return 0;
}

/* The log's events, and the time of the first mark TEXT: 0, or 2 (said). */
static int load(struct judge *j)
{
	FILE *f = fopen(j->log, "re");
	static struct lag_event e;     /* large: not on the stack */
	char *line = NULL, err[128];
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "lagrace: judge: %s: %s\n", j->log,
			strerror(errno));
		return 2;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (lag_event_parse(line, (size_t)len, &e, err, sizeof(err)) < 0) {
			j->bad_lines++; /* a line cut by a killed lagfs */
			continue;
		}
		if (j->mark && !j->have_reap && e.kind == LAG_EV_MARK &&
		    !strcmp(e.detail, j->mark)) {
			j->t_reap = e.t_ns;
			j->have_reap = true;
		}
		if (add(j, &e) < 0) {
			fprintf(stderr, "lagrace: judge: %s: %s\n", j->log,
				strerror(ENOMEM));
			rc = 2;
			break;
		}
	}
	if (!rc && ferror(f)) {
		fprintf(stderr, "lagrace: judge: %s: %s\n", j->log,
			strerror(errno));
		rc = 2;
	}
	free(line);
	fclose(f);
	if (!rc && !j->have_reap) {
		fprintf(stderr, "lagrace: judge: %s: no mark event '%s' (lagfs's "
			"control channel: mark %s)\n", j->log, j->mark, j->mark);
		rc = 2;
	}
	return rc;
}

static json_object *to_json(const struct judge *j, const struct verdict *v,
			    enum verdict_class c, bool cause, const char *err)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict",
			       json_object_new_string(verdict_key(c)));
	json_object_object_add(o, "words", json_object_new_string(
					       verdict_words(c, MIT_NONE)));
	if (*err)
		json_object_object_add(o, "error", json_object_new_string(err));
	json_object_object_add(o, "late_release", json_object_new_boolean(cause));
	json_object_object_add(o, "ebusy", json_object_new_boolean(j->ebusy));
	json_object_object_add(o, "t_reap", json_object_new_uint64(j->t_reap));
	json_object_object_add(o, "opens", json_object_new_int64(v->child_opens));
	json_object_object_add(o, "released_before",
			       json_object_new_int64(v->released_before));
	json_object_object_add(o, "released_after",
			       json_object_new_int64(v->released_after));
	json_object_object_add(o, "never_released",
			       json_object_new_int64(v->never_released));
	json_object_object_add(o, "t_last_release",
			       json_object_new_uint64(v->t_last_release));
	json_object_object_add(o, "lateness_ns",
			       json_object_new_uint64(v->lateness_ns));
	json_object_object_add(o, "bad_lines",
			       json_object_new_int64((int64_t)j->bad_lines));
	return o;
}

static int write_json(const struct judge *j, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	FILE *f = strcmp(j->json, "-") ? fopen(j->json, "we") : stdout;

	if (!f || fprintf(f, "%s\n", s) < 0 || (f != stdout ? fclose(f)
							    : fflush(f))) {
		fprintf(stderr, "lagrace: judge: --json %s: %s\n", j->json,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void print_text(FILE *to, const struct judge *j,
		       const struct verdict *v, enum verdict_class c,
		       const char *err)
{
	fprintf(to, "%s: %s\n", j->log, verdict_words(c, MIT_NONE));
	if (*err)
		fprintf(to, "  %s\n", err);
	fprintf(to, "  files opened before the reap: %u; released before it "
		"%u, after it %u, never %u\n", v->child_opens,
		v->released_before, v->released_after, v->never_released);
	if (v->late_release)
		fprintf(to, "  the last release came %.3f ms after the reap\n",
			(double)v->lateness_ns / 1e6);
	fprintf(to, "  the first unmount after the reap: %s\n",
		j->ebusy ? "EBUSY (--ebusy)" : "succeeded");
	if (j->bad_lines)
		fprintf(to, "  %lu line(s) of the log did not parse\n",
			j->bad_lines);
}

int judge_main(int argc, char **argv)
{
	struct judge j = { .expect = EXPECT_NONE };
	struct verdict_in in;
	struct verdict v;
	struct verdict_obs o;
	enum verdict_class c;
	char err[256];
	bool cause;
	json_object *doc;
	int rc = parse(argc, argv, &j);

	if (!rc)
		rc = load(&j);
	if (rc) {
		free(j.ev);
		return rc;
	}
	in = (struct verdict_in){ .child = 0, .t_reap = j.t_reap, .ev = j.ev,
				  .n = j.n };
	verdict_compute(&in, &v);
	/* No MNT_EXPIRE probe at the reap: the first unmount's EBUSY says
	 * the mount was busy then, as for lagrace --fusermount. */
	o = (struct verdict_obs){ .busy_at_reap = j.ebusy, .ebusy = j.ebusy };
	c = verdict_classify(&v, &o, &cause, err, sizeof(err));
	print_text(j.json && !strcmp(j.json, "-") ? stderr : stdout, &j, &v,
		   c, err);
	if (j.json) {
		doc = to_json(&j, &v, c, cause, err);
		rc = write_json(&j, doc);
		json_object_put(doc);
		if (rc < 0) {
			free(j.ev);
			return 2;
		}
	}
	free(j.ev);
	if (j.expect == EXPECT_RACE)
		return verdict_hit(c, MIT_NONE) ? 0 : 1;
	if (j.expect == EXPECT_CLEAN)
		return verdict_clean(c) ? 0 : 1;
	return c == VC_ERROR ? 1 : 0;
}
