#include "explain_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "narrate.h"
#include "report.h"
#include "result_json.h"

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "lagrace: explain: %s%s%s (usage: lagrace explain "
		"--json FILE --iteration N)\n", why, arg ? " " : "",
		arg ? arg : "");
	return 2;
}

static json_object *load(const char *path)
{
	json_object *o;

	if (strcmp(path, "-"))
		return json_object_from_file(path);
	o = json_object_from_fd(STDIN_FILENO);
	return o;
}

/* --json FILE --iteration N into *path and *want; bad ones: exit 2. */
static int parse(int argc, char **argv, const char **path, long *want)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "iteration", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': *path = optarg; break;
		case 'i':
			errno = 0;
			*want = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || *want < 0)
				return usage("--iteration: not an iteration "
					     "number:", optarg);
			break;
		case ':': return usage("option needs an argument:",
				       argv[optind - 1]);
		default: return usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (!*path || *want < 0)
		return usage("needs --json FILE and --iteration N", NULL);
	return 0;
}

/* Iteration #want of the document's iterations, or NULL. */
static json_object *find_iteration(json_object *its, long want)
{
	for (size_t i = 0; i < json_object_array_length(its); i++) {
		json_object *o = json_object_array_get_idx(its, i), *ix;

		if (json_object_object_get_ex(o, "index", &ix) &&
		    json_object_get_int64(ix) == want)
			return o;
	}
	return NULL;
}

/* Tell iteration #want of the document root: 0, or 1 (said why). */
static int tell(const char *path, json_object *root, long want)
{
	json_object *its = NULL, *run = NULL, *it;
	static struct iter_result r;
	struct runinfo ri;
	char err[256];
	int rc = 0;

	if (!json_object_object_get_ex(root, "iterations", &its) ||
	    !json_object_object_get_ex(root, "run", &run) ||
	    runinfo_from_json(run, &ri, err, sizeof(err)) < 0) {
		fprintf(stderr, "lagrace: explain: %s: %s\n", path,
			its ? err : "no \"iterations\": not lagrace's --json");
		return 1;
	}
	it = find_iteration(its, want);
	if (!it) {
		fprintf(stderr, "lagrace: explain: %s: no iteration #%ld (it "
			"has %zu)\n", path, want, json_object_array_length(its));
		rc = 1;
	} else if (result_from_json(it, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "lagrace: explain: %s: %s\n", path, err);
		rc = 1;
	} else {
		narrate_header(stdout, &ri, &r);
		narrate_story(stdout, &r, ri.mitigate);
		report_print_line(&r, ri.mitigate, stdout);
		if (fflush(stdout) != 0)
			rc = 1;
	}
	free(ri.argv);
	return rc;
}

int explain_main(int argc, char **argv)
{
	const char *path = NULL;
	long want = -1;
	json_object *root;
	int rc = parse(argc, argv, &path, &want);

	if (rc)
		return rc;
	root = load(path);
	if (!root) {
		const char *why = json_util_get_last_err();

		fprintf(stderr, "lagrace: explain: %s: %.*s\n", path,
			why ? (int)strcspn(why, "\n") : 14,
			why ? why : "not a JSON document");
		return 1;
	}
	rc = tell(path, root, want);
	json_object_put(root);
	return rc;
}
