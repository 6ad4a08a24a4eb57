/*
 * logcheck: questions about a lagfs event log, for the integration tests.
 * It reads the log through lag_event_parse, the same reader lagrace uses.
 *
 *   logcheck LOG count [KEY=VALUE]...    events matching all filters
 *   logcheck LOG get FIELD [KEY=VALUE]... FIELD of the first match
 *   logcheck LOG pairs                   every open/create is followed by
 *                                        exactly one release of its fh
 *   logcheck LOG valid                   every line parses
 * KEY is ev, op, how, path, pid, fh, result, unique, hold.
 * Exit: 0 yes/found, 1 no/not found, 2 usage or unreadable log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lag_event.h"

static struct lag_event ev;

static int field(const struct lag_event *e, const char *key, char *out,
		 size_t cap)
{
	if (!strcmp(key, "ev")) snprintf(out, cap, "%s", lag_event_ev(e));
	/* the "op" key: an answer's op is its ev */
	else if (!strcmp(key, "op")) snprintf(out, cap, "%s",
					      e->kind == LAG_EV_ANSWER ? "" : e->op);
	else if (!strcmp(key, "how")) snprintf(out, cap, "%s", e->how);
	else if (!strcmp(key, "path")) snprintf(out, cap, "%s", e->path);
	else if (!strcmp(key, "detail")) snprintf(out, cap, "%s", e->detail);
	else if (!strcmp(key, "pid")) snprintf(out, cap, "%ld", (long)e->pid);
	else if (!strcmp(key, "fh")) snprintf(out, cap, "%lu", (unsigned long)e->fh);
	else if (!strcmp(key, "ino")) snprintf(out, cap, "%lu", (unsigned long)e->ino);
	else if (!strcmp(key, "result")) snprintf(out, cap, "%ld", (long)e->result);
	else if (!strcmp(key, "unique")) snprintf(out, cap, "%lu", (unsigned long)e->unique);
	else if (!strcmp(key, "hold")) snprintf(out, cap, "%d", e->hold);
	else if (!strcmp(key, "flags")) snprintf(out, cap, "%ld", (long)e->flags);
	else if (!strcmp(key, "t_ns")) snprintf(out, cap, "%lu", (unsigned long)e->t_ns);
	else if (!strcmp(key, "delay_ns")) snprintf(out, cap, "%ld", (long)e->delay_ns);
	else if (!strcmp(key, "path_cut")) snprintf(out, cap, "%d", e->path_cut);
	else return -1;
	return 0;
}

static int matches(const struct lag_event *e, int nf, char **filters)
{
	char val[LAG_PATH_MAX + 1];

	for (int i = 0; i < nf; i++) {
		char key[32];
		const char *eq = strchr(filters[i], '=');

		if (!eq || (size_t)(eq - filters[i]) >= sizeof(key)) {
			fprintf(stderr, "logcheck: bad filter '%s'\n", filters[i]);
			exit(2);
		}
		memcpy(key, filters[i], (size_t)(eq - filters[i]));
		key[eq - filters[i]] = '\0';
		if (field(e, key, val, sizeof(val)) < 0) {
			fprintf(stderr, "logcheck: unknown key '%s'\n", key);
			exit(2);
		}
		if (strcmp(val, eq + 1))
			return 0;
	}
	return 1;
}

struct open_fh {
	uint64_t fh;
	int released;
};

/* Freed at exit, whichever return ends main (LeakSanitizer builds). */
static char *line;
static struct open_fh *opens;
static FILE *f;

static void cleanup(void)
{
	free(line);
	free(opens);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	char err[256];
	size_t cap = 0, nopen = 0;
	long count = 0, lineno = 0;
	ssize_t len;

	atexit(cleanup);
	if (argc < 3) {
		fprintf(stderr, "usage: logcheck LOG count|get|pairs|valid ...\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "logcheck: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (lag_event_parse(line, (size_t)len, &ev, err, sizeof(err))) {
			fprintf(stderr, "logcheck: %s:%ld: %s\n", argv[1], lineno, err);
			return 1;
		}
		if (!strcmp(argv[2], "count")) {
			count += matches(&ev, argc - 3, argv + 3);
		} else if (!strcmp(argv[2], "get") && argc > 3) {
			char val[LAG_PATH_MAX + 1];

			if (matches(&ev, argc - 4, argv + 4)) {
				if (field(&ev, argv[3], val, sizeof(val)) < 0) {
					fprintf(stderr, "logcheck: unknown key '%s'\n", argv[3]);
					return 2;
				}
				printf("%s\n", val);
				return 0;
			}
		} else if (!strcmp(argv[2], "pairs")) {
			if (ev.kind == LAG_EV_OPEN || ev.kind == LAG_EV_CREATE) {
				if (ev.result)
					continue;
				struct open_fh *more = realloc(opens, (nopen + 1) * sizeof(*opens));

				if (!more)
					return 2;
				opens = more;
				opens[nopen++] = (struct open_fh){ ev.fh, 0 };
			} else if (ev.kind == LAG_EV_RELEASE) {
				size_t i = nopen;

				/* the latest open of this fh not yet released */
				while (i > 0 && (opens[i - 1].fh != ev.fh ||
						 opens[i - 1].released))
					i--;
				if (i == 0) {
					printf("release of fh %lu without open (line %ld)\n",
					       (unsigned long)ev.fh, lineno);
					return 1;
				}
				opens[i - 1].released = 1;
			}
		}
	}
	if (!strcmp(argv[2], "count")) {
		printf("%ld\n", count);
		return count ? 0 : 1;
	}
	if (!strcmp(argv[2], "pairs")) {
		size_t unrel = 0;

		for (size_t i = 0; i < nopen; i++)
			unrel += !opens[i].released;
		printf("%zu opens, %zu without release\n", nopen, unrel);
		return nopen && !unrel ? 0 : 1;
	}
	if (!strcmp(argv[2], "valid"))
		return lineno ? 0 : 1;
	return 1;
}
