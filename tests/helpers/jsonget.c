/*
 * jsonget FILE PATH: print the value at a dotted PATH in the JSON document
 * in FILE, for shell tests that read lagrace's --json output.
 *
 *   jsonget out.json summary.late_release          -> 20
 *   jsonget out.json summary.busy_window_ms.p50    -> 15.323418
 *   jsonget out.json iterations.0.ebusy            -> true
 *
 * A path component indexes an array when the value there is an array (a
 * whole number from 0), else names an object key. Strings print raw,
 * numbers and booleans as JSON, null as "null", objects and arrays as
 * compact JSON. "." alone is the whole document.
 *
 * Exit status: 0 printed, 1 the path is not in the document, 2 usage
 * error, unreadable file or a file that is not JSON.
 */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: jsonget FILE PATH (e.g. summary.ebusy, "
			"iterations.0.late_release)\n");
	return 2;
}

/* A whole number from 0 in s, or -1. */
static long index_of(const char *s)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno)
		return -1;
	return v;
}

/* Walk path (modified in place); 0 and *out set, or -1 with the part that
 * is missing in *missing. */
static int walk(json_object *root, char *path, json_object **out,
		const char **missing)
{
	json_object *cur = root;
	char *save = NULL;

	if (!strcmp(path, ".")) {
		*out = root;
		return 0;
	}
	for (char *part = strtok_r(path, ".", &save); part;
	     part = strtok_r(NULL, ".", &save)) {
		*missing = part;
		if (json_object_is_type(cur, json_type_array)) {
			long i = index_of(part);

			if (i < 0 || (size_t)i >= json_object_array_length(cur))
				return -1;
			cur = json_object_array_get_idx(cur, (size_t)i);
		} else if (json_object_is_type(cur, json_type_object)) {
			json_object *next;

			if (!json_object_object_get_ex(cur, part, &next))
				return -1;
			cur = next;
		} else {
			return -1; /* a scalar has no members */
		}
	}
	*out = cur;
	return 0;
}

int main(int argc, char **argv)
{
	json_object *root, *v = NULL;
	const char *missing = "";
	char *path;

	if (argc != 3 || !*argv[2])
		return usage();
	root = json_object_from_file(argv[1]);
	if (!root) {
		/* json-c returns NULL for a document that is just "null" too,
		 * but lagrace never writes one: call it a parse error. */
		const char *why = json_util_get_last_err();

		fprintf(stderr, "jsonget: %s: %.*s\n", argv[1],
			why ? (int)strcspn(why, "\n") : 8, why ? why : "not JSON");
		return 2;
	}
	path = strdup(argv[2]);
	if (!path) {
		json_object_put(root);
		return 2;
	}
	if (strcmp(path, ".") && (path[0] == '.' || path[strlen(path) - 1] == '.' ||
				  strstr(path, ".."))) {
		fprintf(stderr, "jsonget: bad path '%s'\n", argv[2]);
		free(path);
		json_object_put(root);
		return 2;
	}
	if (walk(root, path, &v, &missing) < 0) {
		fprintf(stderr, "jsonget: %s: no '%s' (at '%s')\n", argv[1],
			argv[2], missing);
		free(path);
		json_object_put(root);
		return 1;
	}
	if (!v)
		printf("null\n");
	else if (json_object_is_type(v, json_type_string))
		printf("%s\n", json_object_get_string(v));
	else
		printf("%s\n", json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	free(path);
	json_object_put(root);
	return 0;
}
