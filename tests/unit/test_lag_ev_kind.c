/* lag_event's kinds: each "ev" is parsed once into its kind, an op's name
 * into an answer with its op, and written back as the same line. */
#include <stdbool.h>
#include <string.h>

#include "lag_event.h"
#include "tap.h"

#define HEAD "{\"t_ns\":1,\"ev\":"
#define TAIL ",\"unique\":0,\"pid\":0,\"uid\":0,\"ino\":0,\"fh\":0," \
	     "\"path\":\"\",\"flags\":0,\"result\":0,\"delay_ns\":0"

static int parse(const char *line, struct lag_event *e, char *err)
{
	return lag_event_parse(line, strlen(line), e, err, 128);
}

/* line parses, its kind and op are as given, and it formats back to
 * itself. */
static void same(const char *line, enum lag_ev_kind kind, const char *op,
		 const char *what)
{
	static struct lag_event e;
	static char back[LAG_LINE_MAX];
	char err[128] = "";
	size_t n;

	ok(parse(line, &e, err) == 0 && e.kind == kind && !strcmp(e.op, op), "%s: kind %d, op '%s' (%s)",
	   what, (int)e.kind, e.op, err);
	n = lag_event_format(&e, back, sizeof(back));
	ok(n == strlen(line) + 1 && !strncmp(back, line, strlen(line)),
	   "%s: written back the same", what);
}

int main(void)
{
	static const char *const names[] = {
		"start", "open", "create", "flush", "release", "interrupt",
		"park", "reload", "unreleased", "exit",
	};
	static struct lag_event e;
	char err[128];
	bool all = true;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int k = lag_ev_kind_of(names[i]);

		all &= k > 0 && !strcmp(lag_ev_name((unsigned)k), names[i]);
	}
	ok(all, "every kind's name gives the kind back");
	ok(lag_ev_kind_of("read") < 0 && !lag_ev_name(LAG_EV_ANSWER) &&
	   !lag_ev_name(LAG_EV_N), "an op's name is no kind's");
	same(HEAD "\"park\"" TAIL ",\"op\":\"read\",\"hold\":1}", LAG_EV_PARK,
	     "read", "park");
	same(HEAD "\"read\"" TAIL ",\"how\":\"release\"}", LAG_EV_ANSWER,
	     "read", "an answer");
	same(HEAD "\"open\"" TAIL ",\"how\":\"delay\"}", LAG_EV_OPEN, "",
	     "a parked open's answer");
	/* "op" on an answer means nothing: checked, then ignored */
	ok(parse(HEAD "\"read\"" TAIL ",\"op\":\"write\"}", &e, err) == 0 &&
	   e.kind == LAG_EV_ANSWER &&
	   !strcmp(e.op, "read"), "an answer's op is its ev");
	ok(parse(HEAD "\"read\"" TAIL ",\"op\":5}", &e, err) < 0 &&
	   !strcmp(err, "key 'op': not a string"),
	   "an answer's op key is still checked (%s)", err);
	lag_event_init(&e, LAG_EV_UNRELEASED);
	ok(!strcmp(lag_event_ev(&e), "unreleased"), "init sets the kind");
	lag_event_set_ev(&e, "fallocate");
	ok(e.kind == LAG_EV_ANSWER && !strcmp(lag_event_ev(&e), "fallocate"),
	   "set_ev of an op: an answer of that op");
	return tap_done();
}
