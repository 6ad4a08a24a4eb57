/*
 * result_json: lagrace's --json document, and reading it back. Each
 * iteration keeps, besides its flags and timeline for people, the inputs
 * of its story (lagrace's timestamps in ns relative to the kill, the
 * child's files and their events), so that `lagrace explain --json FILE
 * --iteration N` rebuilds exactly the story --explain told; "run" keeps
 * what is needed to rerun it (runinfo.h).
 */
#ifndef RESULT_JSON_H
#define RESULT_JSON_H

#include <json.h>

#include "report.h"
#include "runinfo.h"

json_object *result_to_json(const struct iter_result *r, enum mitigation m);
json_object *runinfo_to_json(const struct runinfo *ri);
json_object *summary_to_json(const struct report *rp, const struct summary *s);

/* Back from the document (strings point into o, which must outlive ri;
 * ri->argv is malloc'd). 0, or -1 with a one-line reason in err. */
int result_from_json(json_object *o, struct iter_result *r, char *err,
		     size_t errlen);
int runinfo_from_json(json_object *o, struct runinfo *ri, char *err,
		      size_t errlen);

#endif
