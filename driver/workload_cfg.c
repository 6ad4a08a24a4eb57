#include "workload_cfg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duration.h"
#include "lagfs_proc.h"
#include "report_err.h"

int workload_split(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

/* Whether a rule has the word w (rules are words: OP key=value... flag). */
static bool has_word(const char *rule, const char *w)
{
	size_t len = strlen(w);

	for (const char *p = rule; (p = strstr(p, w)); p += len)
		if ((p == rule || p[-1] == ' ' || p[-1] == '\t') &&
		    (!p[len] || p[len] == ' ' || p[len] == '\t' ||
		     p[len] == '='))
			return true;
	return false;
}

bool workload_rule_parks(const char *rule)
{
	return has_word(rule, "hold") || has_word(rule, "delay");
}

static void add_rule(const char **list, const char *rule, const char *from)
{
	size_t n = 0;

	while (list[n])
		n++;
	if (n == RACE_MAX_RULES)
		die_usage("%s: more than %d lagfs rules", from, RACE_MAX_RULES);
	list[n] = rule;
}

/* --rules FILE: its lines, without comments and blank lines. */
static void read_rules(struct race_cfg *c)
{
	FILE *f = fopen(c->rules_file, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		die_usage("--rules %s: %s", c->rules_file, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *p = line + strspn(line, " \t"), *end;

		p[strcspn(p, "#\n")] = '\0';
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*p)
			continue;
		p = strdup(p);
		if (!p)
			die("--rules %s: %s", c->rules_file, strerror(ENOMEM));
		add_rule(c->user_rules, p, c->rules_file);
	}
	if (ferror(f))
		die_usage("--rules %s: %s", c->rules_file, strerror(errno));
	free(line);
	fclose(f);
}

/* CMD must be a program we can run: a path (made absolute, since it runs
 * in the mountpoint), or a name found in $PATH. */
static void check_cmd(char **cmd)
{
	static char path[PATH_MAX];
	struct stat st;

	if (!strchr(cmd[0], '/')) {
		for (const char *dirs = getenv("PATH"); dirs && *dirs;) {
			size_t len = strcspn(dirs, ":");

			snprintf(path, sizeof(path), "%.*s/%s", (int)len, dirs,
				 cmd[0]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(path, X_OK) == 0)
				return;
			dirs += len + (dirs[len] == ':');
		}
		die_usage("-- %s: command not found", cmd[0]);
	}
	if (stat(cmd[0], &st) < 0)
		die_usage("-- %s: %s", cmd[0], strerror(errno));
	if (!S_ISREG(st.st_mode) || access(cmd[0], X_OK) < 0)
		die_usage("-- %s: %s", cmd[0], strerror(S_ISDIR(st.st_mode) ?
						       EISDIR : EACCES));
	if (cmd[0][0] != '/') {
		if (!realpath(cmd[0], path))
			die_usage("-- %s: %s", cmd[0], strerror(errno));
		cmd[0] = path;
	}
}

/* One end of --kill-at's MIN..MAX (all of it named in errors). */
static uint64_t kill_at_end(const char *all, const char *s)
{
	const char *why;
	uint64_t ns;

	if (duration_parse(s, &ns, &why) < 0)
		die_usage("--kill-at '%s': %s", all, why);
	if (ns == DURATION_INF)
		die_usage("--kill-at '%s': must be finite", all);
	return ns;
}

static void parse_kill(struct race_cfg *c)
{
	int n = !!c->kill_on + !!c->kill_after_ns + !!c->kill_at;

	if (n > 1)
		die_usage("--kill-on, --kill-after and --kill-at exclude each "
			  "other");
	if (c->kill_on) {
		char *end;
		unsigned long v = 1;

		if (strncmp(c->kill_on, "park", 4) ||
		    (c->kill_on[4] && c->kill_on[4] != ':'))
			die_usage("--kill-on '%s': park or park:N", c->kill_on);
		if (c->kill_on[4]) {
			errno = 0;
			v = strtoul(c->kill_on + 5, &end, 10);
			if (!c->kill_on[5] || *end || errno || v < 1 ||
			    v > 1000000 || c->kill_on[5] == '-')
				die_usage("--kill-on '%s': N is a whole number "
					  "from 1 to 1000000", c->kill_on);
		}
		c->kill_parks = (unsigned)v;
	}
	if (c->kill_at) {
		const char *dots = strstr(c->kill_at, "..");
		char lo[64];

		if (!dots || (size_t)(dots - c->kill_at) >= sizeof(lo))
			die_usage("--kill-at '%s': MIN..MAX, e.g. 10ms..2s",
				  c->kill_at);
		snprintf(lo, sizeof(lo), "%.*s", (int)(dots - c->kill_at),
			 c->kill_at);
		c->kill_at_min_ns = kill_at_end(c->kill_at, lo);
		c->kill_at_max_ns = kill_at_end(c->kill_at, dots + 2);
		if (c->kill_at_max_ns < c->kill_at_min_ns)
			die_usage("--kill-at '%s': MAX is less than MIN",
				  c->kill_at);
	}
}

void workload_cfg(struct race_cfg *c, char **cmd, bool scenario_given)
{
	bool opaque, parks = false;
	size_t n = 0;
	struct stat st;

	if (c->rules_file)
		read_rules(c);
	if (cmd) {
		if (!*cmd)
			die_usage("-- needs a command");
		check_cmd(cmd);
		c->cmd = cmd;
		c->eo.argv = cmd;
		c->engine = ENGINE_COMMAND;
	}
	opaque = engines[c->engine]->opaque;
	if (opaque && !cmd)
		die_usage("--engine %s: give the command after --",
			  engine_names[c->engine]);
	if (opaque && !scenario_given) {
		c->no_scenario = true;
		memset(c->rules, 0, sizeof(c->rules));
		c->lagfs.hold = LAGFS_NO_HOLD;
		c->lagfs.direct_io = false;
	}
	if (c->populate && !opaque)
		die_usage("--populate goes with -- CMD");
	if (c->populate && stat(c->populate, &st) < 0)
		die_usage("--populate %s: %s", c->populate, strerror(errno));
	if (c->populate && !S_ISDIR(st.st_mode))
		die_usage("--populate %s: %s", c->populate, strerror(ENOTDIR));
	while (c->rules[n])
		n++;
	for (size_t i = 0; c->user_rules[i]; i++) {
		const char *r = c->user_rules[i];

		add_rule(c->rules, r, "--rule");
		n++;
		/* The user's hold is held as the scenario's: the kill's
		 * interrupt ends a plain hold, not a kept one. */
		if (has_word(r, "hold") && c->lagfs.hold == LAGFS_NO_HOLD)
			c->lagfs.hold = has_word(r, "keep") ? LAGFS_HOLD_KEEP
							    : LAGFS_HOLD;
	}
	for (size_t i = 0; c->rules[i]; i++)
		parks |= workload_rule_parks(c->rules[i]);
	parse_kill(c);
	if (c->mount_dir && c->user_rules[0])
		die_usage("--rule and --rules go with a lagfs that lagrace "
			  "mounts, not --mount: give that lagfs its rules");
	if (c->mount_dir && c->populate)
		die_usage("--populate goes with a lagfs that lagrace mounts, "
			  "not --mount");
	/* --mount: its lagfs's rules are checked before the run */
	if (c->mount_dir && opaque && !c->kill_after_ns && !c->kill_at) {
		c->lagfs.hold = LAGFS_HOLD;
		if (!c->kill_parks)
			c->kill_parks = 1;
		return;
	}
	if (c->kill_parks && !parks && !c->mount_dir)
		die_usage("--kill-on %s: no rule makes lagfs park a request "
			  "(hold or delay=)", c->kill_on);
	if (opaque && !c->kill_parks && !c->kill_after_ns && !c->kill_at) {
		if (c->lagfs.hold == LAGFS_NO_HOLD)
			die_usage("-- %s: no hold rule parks its requests: give "
				  "one (--rule 'read hold'), --kill-after DUR "
				  "or --kill-at MIN..MAX", cmd[0]);
		c->kill_parks = 1;
	}
}

void workload_check_mount(const struct race_cfg *c)
{
	bool by_park = c->kill_parks || (c->lagfs.hold != LAGFS_NO_HOLD &&
					  !c->kill_after_ns && !c->kill_at);
	char reply[1024], *r;

	if (!c->mount_dir)
		return;
	if (access(c->mount_log, R_OK) < 0)
		die_usage("--mount %s: --log %s: %s", c->mount_dir, c->mount_log,
			  strerror(errno));
	if (lagfs_control(c->mount_control, "rules", reply, sizeof(reply)) < 0)
		die_usage("--mount %s: --control %s: %s", c->mount_dir,
			  c->mount_control, reply);
	/* "ok N rules: RULE; RULE; ..." */
	r = strstr(reply, ": ");
	for (r = r ? r + 2 : NULL; r && *r; r += strcspn(r, ";"), r += !!*r) {
		char one[256];

		r += strspn(r, " ");
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(r, ";"), r);
		if (workload_rule_parks(one))
			return;
	}
	if (by_park)
		die_usage("--mount %s: its lagfs has no rule that parks a request "
			  "(%s), and lagrace kills at a park: add one (control: "
			  "add read hold) or give --kill-after or --kill-at",
			  c->mount_dir, reply);
}
