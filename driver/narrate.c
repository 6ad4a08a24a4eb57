#include "narrate.h"

#include <stdarg.h>
#include <string.h>

#define STEP_INDENT 23          /* "%+9.3f ms  %-7s  " */

void narrate_wrap(FILE *out, const char *prefix, const char *cont,
		  const char *text)
{
	int col = (int)strlen(prefix);
	const char *p = text;

	fputs(prefix, out);
	while (*p) {
		int room = NARRATE_WIDTH - col, len = (int)strlen(p), cut;

		if (room < 8)
			room = 8;
		if (len <= room) {
			fputs(p, out);
			break;
		}
		for (cut = room; cut > 0 && p[cut] != ' '; cut--)
			;
		if (cut == 0)         /* one word longer than the line */
			cut = room;
		fprintf(out, "%.*s\n%s", cut, p, cont);
		p += cut;
		while (*p == ' ')
			p++;
		col = (int)strlen(cont);
	}
	fputc('\n', out);
}

void narrate_wrapf(FILE *out, const char *prefix, const char *cont,
		   const char *fmt, ...)
{
	char buf[1024];

	VA_FORMAT(buf, fmt);
	narrate_wrap(out, prefix, cont, buf);
}

#define wrapf(out, cont, ...) narrate_wrapf(out, "", cont, __VA_ARGS__)

void narrate_header(FILE *out, const struct runinfo *ri,
		    const struct iter_result *r)
{
	char cmd[2048], rules[1024] = "";
	size_t len = 0;

	runinfo_command(ri, cmd, sizeof(cmd));
	for (int i = 0; ri->rules[i]; i++)
		len += (size_t)snprintf(rules + len, len < sizeof(rules)
					? sizeof(rules) - len : 0, "%s%s",
					i ? "; " : "", ri->rules[i]);
	wrapf(out, "  ", "lagrace %s, run %s, iteration #%u", ri->version,
	      ri->started, r->index);
	if (ri->hz)
		wrapf(out, "  ", "kernel %s, HZ %d (%s)", ri->kernel, ri->hz,
		      ri->hz_source);
	else
		wrapf(out, "  ", "kernel %s, HZ unknown (%s)", ri->kernel,
		      ri->hz_source);
	narrate_wrap(out, "command: ", "  ", cmd);
	wrapf(out, "  ", "scenario %s, engine %s, mitigation %s, seed %u, child "
	      "pid %d", ri->scenario, ri->engine, mitigation_names[ri->mitigate],
	      ri->seed, (int)r->child);
	narrate_wrap(out, "lagfs rules: ", "  ", rules[0] ? rules : "none");
	if (ri->fuse_opts)
		wrapf(out, "  ", "lagfs -o %s", ri->fuse_opts);
	if (ri->trace_source[0])
		narrate_wrap(out, "kernel trace: ", "  ", ri->trace);
	wrapf(out, "  ", "times in ms from the SIGKILL; -> who holds the child's "
	      "file from then on");
}

void narrate_story(FILE *out, const struct iter_result *r, enum mitigation m)
{
	static struct story s;  /* large: not on the stack */
	char prefix[64], why[512], cont[32], label[160];

	story_build(r, m, &s);
	if (!s.n) {
		wrapf(out, "  ", "no story: iteration #%u did not get as far as "
		      "the kill%s%s", r->index, r->error ? ": " : "",
		      r->error ? r->err : "");
		return;
	}
	if (s.focus >= 0 && r->n_files > 1)
		wrapf(out, "  ", "the file whose holders are told: %s",
		      r->files[s.focus]);
	for (int i = 0; i < s.n; i++) {
		const struct story_step *st = &s.step[i];

		snprintf(prefix, sizeof(prefix), "%+9.3f ms  %-7s  ",
			 (double)st->t_ns / 1e6, st->actor);
		snprintf(cont, sizeof(cont), "%*s", STEP_INDENT, "");
		narrate_wrap(out, prefix, cont, st->text);
		if (st->holder == H_SAME)
			continue;
		/* the task the trace shows is in why already */
		snprintf(label, sizeof(label), "%s",
			 story_holder_name(st->holder));
		if (st->inferred)  /* why is "inferred: ..." */
			snprintf(why, sizeof(why), "-> now held by %s (%s)",
				 label, st->why);
		else
			snprintf(why, sizeof(why), "-> now held by %s: %s",
				 label, st->why);
		snprintf(prefix, sizeof(prefix), "%*s", STEP_INDENT, "");
		snprintf(cont, sizeof(cont), "%*s", STEP_INDENT + 3, "");
		narrate_wrap(out, prefix, cont, why);
	}
	if (r->ev_dropped)
		wrapf(out, "  ", "(%u more events of the child's files were not "
		      "kept: the result holds %d)", r->ev_dropped, ITER_MAX_EV);
}
