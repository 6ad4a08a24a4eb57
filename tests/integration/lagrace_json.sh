#!/usr/bin/env bash
# lagrace's --json document: "--json -" writes exactly one JSON document to
# standard output and nothing else (the text goes to stderr); a statistic
# without samples is null, not 0; the document keeps what a rerun needs
# (argv, seed, version, kernel release, HZ, the lagfs rules, when it ran);
# and an output path lagrace cannot write is a usage error (exit 2) before
# the first iteration, also with --bisect.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (lagrace's lanes then use plain mount namespaces)"
command -v python3 >/dev/null || skip_all "python3 is not installed"

LR_TIMEOUT=120 LR_SHOW_LINES=20
. "$TOP/tests/lagrace_runs.sh"
# py DESC FILE EXPR: the Python expression, with d the document of FILE,
# is true.
py() {
	local desc=$1 file=$2 expr=$3
	if python3 - "$file" "$expr" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	sys.exit(0 if eval(sys.argv[2]) else 1)
	EOF
	then check "$desc" 0; else check "$desc" 1; echo "# not true: $expr"; fi
}

# --json -: the document alone on stdout (run in a directory of its own:
# a lagrace that took "-" for a file name would leave it there).
mkdir -p "$T/cwd"
cd "$T/cwd" || exit 1
lr stdout --iterations 2 --json - --seed 7
cd "$TOP" || exit 1
check "--json -: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show stdout
ok "--json -: stdout is exactly one JSON document" \
	python3 -c 'import json, sys; json.loads(open(sys.argv[1]).read())' "$T/stdout.out"
ok "--json -: no file named '-'" test ! -e "$T/cwd/-"
ok "--json -: the text went to stderr" grep -q '^verdict: ' "$T/stdout.err"
ok "--json -: and the iteration lines too" grep -qE '^#1 ' "$T/stdout.err"
py "--json -: 2 iterations in it" "$T/stdout.out" 'len(d["iterations"]) == 2'

# What a rerun needs.
J=$T/stdout.out
py "run.argv is the command line" "$J" \
	"d['run']['argv'] == ['$LR', '--iterations', '2', '--json', '-', '--seed', '7']"
py "run.seed is 7" "$J" 'd["run"]["seed"] == 7'
# --jobs auto: 12 lanes per CPU it may run on, at most 64.
lr auto --iterations 2 --jobs auto --quiet --no-trace --json "$T/auto.json"
check "--jobs auto: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
want_jobs=$(( $(nproc) * 12 > 64 ? 64 : $(nproc) * 12 ))
py "--jobs auto: run.jobs is 12 per CPU ($want_jobs)" "$T/auto.json" \
	"d['run']['jobs'] == $want_jobs"
# Where lagrace's CPU goes: the workloads it forked apart from the lanes;
# lagfs's to the microsecond, not in clock ticks (2 iterations of it take
# less than one).
py "cpu_ms_per_iteration: lagfs > 0 after 2 iterations" "$J" \
	'd["summary"]["cpu_ms_per_iteration"]["lagfs"] > 0'
py "cpu_ms_per_iteration: lagrace is main + lanes + children, each > 0" "$J" \
	'(lambda c: all(c[k] > 0 for k in ("main", "lanes", "children")) and
	 abs(c["main"] + c["lanes"] + c["children"] - c["lagrace"]) < 1e-6)(d["summary"]["cpu_ms_per_iteration"])'
py "run.version is lagrace --version's" "$J" \
	"'lagrace ' + d['run']['version'] == '$("$LR" --version)'"
py "run.kernel is the release" "$J" "d['run']['kernel'] == '$(uname -r)'"
want_hz=null
if [ -r /proc/config.gz ]; then
	want_hz=$(gzip -dc /proc/config.gz | sed -n 's/^CONFIG_HZ=//p')
elif [ -r "/boot/config-$(uname -r)" ]; then
	want_hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$(uname -r)")
fi
if [ "$want_hz" != null ]; then
	py "run.hz is CONFIG_HZ ($want_hz)" "$J" "d['run']['hz'] == $want_hz"
else
	py "run.hz is a known HZ or null (no kernel config here)" "$J" \
		"d['run']['hz'] in (None, 100, 250, 300, 1000)"
fi
py "run.hz_source says where HZ came from" "$J" 'len(d["run"]["hz_source"]) > 0'
py "run.lagfs_rules are the scenario's" "$J" \
	'd["run"]["lagfs_rules"] == ["read path=*.lag hold max=10s"]'
py "run.started is when it ran (UTC, within 10 minutes)" "$J" \
	"__import__('datetime').datetime.strptime(d['run']['started'], '%Y-%m-%dT%H:%M:%SZ') > __import__('datetime').datetime.utcnow() - __import__('datetime').timedelta(minutes=10)"
py "run: scenario, engine, mitigation" "$J" \
	'(d["run"]["scenario"], d["run"]["engine"], d["run"]["mitigation"]) == ("async-dio", "uring", "none")'
py "the summary counts cause, symptom and both" "$J" \
	'all(k in d["summary"] for k in ("reproduced", "late_release", "ebusy", "late_release_only", "ebusy_only"))'
py "each iteration has its verdict and its events" "$J" \
	'all(i["verdict"] and i["events"] and i["times_ns"]["kill"] == 0 for i in d["iterations"])'

# Statistics without samples are null.
lr sync --engine sync --iterations 2 --json "$T/sync.json"
check "sync engine: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
py "no EBUSY: busy_window_ms p50/p99/max are null, n 0" "$T/sync.json" \
	'd["summary"]["busy_window_ms"] == {"p50": None, "p99": None, "max": None, "n": 0}'
py "no late release: release_lateness_ms p50/p99/max are null" "$T/sync.json" \
	'd["summary"]["release_lateness_ms"]["p50"] is None and d["summary"]["release_lateness_ms"]["max"] is None'
py "per iteration: no busy window is null, not 0.0" "$T/sync.json" \
	'all(i["busy_window_ms"] is None for i in d["iterations"])'
py "the sync engine: verdict clean, not reproduced" "$T/sync.json" \
	'd["summary"]["reproduced"] == 0 and all(i["verdict"] == "clean" for i in d["iterations"])'

# Output paths are checked before anything runs.
# bad DESC ARGS...: exit 2, one stderr line naming the path, no output, no
# temp dir, and quickly (no iteration of 100 ran).
bad() {
	local desc=$1 start; shift
	start=${EPOCHREALTIME/./}
	lr bad --iterations 100 "$@"
	if [ "$RC" -eq 2 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] &&
	   [ ! -s "$T/bad.out" ] && [ -z "$(ls -A "$LR_TMP")" ] &&
	   [ $(( ${EPOCHREALTIME/./} - start )) -lt 3000000 ]; then
		check "$desc: exit 2 at once: $(cat "$T/bad.err")" 0
	else
		check "$desc: exit 2 at once, one line, nothing run (got $RC)" 1
		show bad
	fi
}
bad "--json into a missing directory" --json "$T/no/such/dir/x.json"
ok "  ... naming the path and why" grep -qF "lagrace: --json $T/no/such/dir/x.json: No such file or directory" "$T/bad.err"
mkdir -p "$T/adir"
bad "--json onto a directory" --json "$T/adir"
ok "  ... naming why" grep -qF "Is a directory" "$T/bad.err"
bad "--json into a missing directory, with --bisect (no 125 after a full run)" \
	--bisect --json "$T/no/such/dir/x.json"
bad "--json on a read-only file system" --json /proc/version.json
bad "--json - with --tap" --json - --tap
echo 'keep me' >"$T/existing.json"
bad "--svg into a missing directory" --json "$T/existing.json" --svg "$T/no/x.svg"
ok "the check left an existing --json file alone" test "$(cat "$T/existing.json")" = 'keep me'
ok "the check left no file behind" test ! -e "$T/no"
done_testing
