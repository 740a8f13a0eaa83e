#!/bin/bash
# tests/integration/bad_inputs.sh: bad input gets a clear error that names
# the file, key or plugin, and never a crash.
#
# Startup errors (sluiced exits 1 with a message, like connect-standalone):
# a malformed worker file, malformed connector files (properties and
# JSON), a missing or unknown connector.class, a missing required key.
# Run-time errors (sluiced keeps running and other connectors keep
# flowing): a file in plugin.path that is not a sluice plugin, a source
# file that cannot be read, a task whose start() fails.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd timeout
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost"

BOOTSTRAP= # the embedded cluster
write_worker "$WORK/worker.properties"

# rejects NAME PATTERN ARGS...: sluiced with ARGS exits non-zero within 20 s
# and its log matches the extended regex PATTERN.
rejects() {
	local name=$1 pattern=$2 rc
	shift 2
	timeout 20 "$BUILD/sluiced" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -Eq -- "$pattern" "$WORK/$name.err" &&
		! grep -q "SV-READY" "$WORK/$name.err"; then
		ok "$name (exit $rc)"
	else
		fail "$name" "exit $rc, expected a line matching: $pattern" \
			"$(tail -n 8 "$WORK/$name.err")"
	fi
}

# --- command line and worker file -----------------------------------------
check "sluiced --help" "$BUILD/sluiced" --help
check "sluiced --version" "$BUILD/sluiced" --version
"$BUILD/sluiced" >/dev/null 2>&1
if [[ $? -eq 2 ]]; then ok "no arguments: usage, exit 2"; else fail "no arguments: usage, exit 2"; fi

printf 'bootstrap.servers=embedded\nkey=\\u12\n' >"$WORK/bad-worker.properties"
rejects "malformed worker file names file and line" \
	"bad-worker.properties:2: .*\\\\u" standalone "$WORK/bad-worker.properties"
rejects "missing worker file names the file" \
	"$WORK/missing.properties" standalone "$WORK/missing.properties"

# --- connector files --------------------------------------------------------
printf 'name=x\nconnector.class=FileStreamSource\nfile=/tmp/x\\\n' >"$WORK/ok-looking.properties"
printf 'name=bad\nconnector.class=FileStreamSource\nfile=\\uZZZZ\n' >"$WORK/bad.properties"
rejects "malformed connector properties name file and line" \
	"bad.properties:3" standalone "$WORK/worker.properties" "$WORK/bad.properties"

printf '{"name": "j", "config": {"connector.class": "FileStreamSource",\n  "topic": }}\n' >"$WORK/bad.json"
rejects "malformed connector JSON names file and line" \
	"bad.json:2" standalone "$WORK/worker.properties" "$WORK/bad.json"

printf '{"name": "j", "config": {"topic": "t", "topic": "u"}}\n' >"$WORK/dup.json"
rejects "a duplicate JSON key is refused" \
	"dup.json.*topic" standalone "$WORK/worker.properties" "$WORK/dup.json"

printf 'name=noclass\nfile=/tmp/x\ntopic=t\n' >"$WORK/noclass.properties"
rejects "missing connector.class is named" \
	'noclass.properties: connector noclass: .*Missing required configuration "connector.class"' \
	standalone "$WORK/worker.properties" "$WORK/noclass.properties"

printf 'name=unknown\nconnector.class=com.example.NoSuchConnector\ntopic=t\n' >"$WORK/unknown.properties"
rejects "unknown connector.class is named with the available plugins" \
	"unknown.properties: connector unknown: .*com.example.NoSuchConnector.*FileStreamSource" \
	standalone "$WORK/worker.properties" "$WORK/unknown.properties"

printf 'name=notopic\nconnector.class=FileStreamSource\nfile=%s/in.txt\n' "$WORK" >"$WORK/notopic.properties"
rejects "a missing required key is named" \
	'notopic.properties: connector notopic: .*"topic"' \
	standalone "$WORK/worker.properties" "$WORK/notopic.properties"

printf 'name=badtasks\nconnector.class=FileStreamSource\nfile=/tmp/x\ntopic=t\ntasks.max=zero\n' >"$WORK/badtasks.properties"
rejects "a bad tasks.max is named" \
	"badtasks.properties: connector badtasks: .*tasks.max" \
	standalone "$WORK/worker.properties" "$WORK/badtasks.properties"

printf 'name=badconv\nconnector.class=FileStreamSource\nfile=/tmp/x\ntopic=t\nvalue.converter=com.example.Nope\n' >"$WORK/badconv.properties"
rejects "an unknown converter is named" \
	"badconv.properties: connector badconv: .*value.converter.*com.example.Nope" \
	standalone "$WORK/worker.properties" "$WORK/badconv.properties"

printf 'name=sinknotopics\nconnector.class=FileStreamSink\nfile=/tmp/x\n' >"$WORK/sinknotopics.properties"
rejects "a sink without topics is refused" \
	"sinknotopics.properties: .*topics or topics.regex" \
	standalone "$WORK/worker.properties" "$WORK/sinknotopics.properties"

# --- run-time errors ---------------------------------------------------------
mkdir -p "$WORK/plugins" "$WORK/adir"
head -c 4096 /dev/urandom >"$WORK/plugins/garbage.so"
cp "$BUILD/test-plugins/bad_magic.so" "$BUILD/test-plugins/start_fails.so" "$WORK/plugins/"
write_worker "$WORK/worker2.properties" \
	"plugin.path=$BUILD/plugins,$WORK/plugins" "sluice.state.dir=$WORK/state2"
cat >"$WORK/dir-source.properties" <<EOF
name=dir-source
connector.class=FileStreamSource
file=$WORK/adir
topic=t1
EOF
cat >"$WORK/fails.properties" <<EOF
name=fails
connector.class=StartFails
topic=t2
EOF
cat >"$WORK/good-source.properties" <<EOF
name=good
connector.class=FileStreamSource
file=$WORK/good.txt
topic=good
EOF
cat >"$WORK/good-sink.properties" <<EOF
name=good-sink
connector.class=FileStreamSink
file=$WORK/good-out.txt
topics=good
EOF
seq 1 100 >"$WORK/good.txt"
if ! start_sluiced run standalone "$WORK/worker2.properties" \
	"$WORK/dir-source.properties" "$WORK/fails.properties" \
	"$WORK/good-source.properties" "$WORK/good-sink.properties"; then
	fail "sluiced starts with bad plugins and failing connectors" \
		"$(tail -n 20 "$WORK/run.err")"
	finish
fi
LOG=$WORK/run.err
if grep -Eq "SV-PLUGIN-REJECTED .*garbage.so: not loaded .*not a sluice plugin|SV-PLUGIN-REJECTED .*garbage.so: .*(ELF|invalid|too short)" "$LOG"; then
	ok "a garbage .so in plugin.path is rejected by path"
else
	fail "a garbage .so in plugin.path is rejected by path" "$(grep PLUGIN "$LOG")"
fi
if grep -Eq "SV-PLUGIN-REJECTED .*bad_magic.so: .*magic" "$LOG"; then
	ok "a plugin with a bad magic is rejected, naming the check"
else
	fail "a plugin with a bad magic is rejected, naming the check" "$(grep PLUGIN "$LOG")"
fi
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=dir-source .*adir" 15; then
	ok "an unreadable source file FAILs the task with a trace naming it"
else
	fail "an unreadable source file FAILs the task with a trace naming it" \
		"$(grep dir-source "$LOG" | tail -n 5)"
fi
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=fails .*start failed on purpose" 15; then
	ok "a task whose start() fails is FAILED with the plugin's message"
else
	fail "a task whose start() fails is FAILED with the plugin's message" \
		"$(grep "conn=fails" "$LOG" | tail -n 5)"
fi
sleep 2
n=$(grep -c "SV-UNIT-SPAWN task=0 conn=fails " "$LOG")
if ((n == 1)); then
	ok "a config failure is not retried in a loop"
else
	fail "a config failure is not retried in a loop" "$n spawns"
fi
if wait_until 20 has_lines "$WORK/good-out.txt" 100 &&
	cmp -s "$WORK/good.txt" <(sort -n "$WORK/good-out.txt"); then
	ok "other connectors keep flowing"
else
	fail "other connectors keep flowing" "$(lines "$WORK/good-out.txt") of 100 lines"
fi
if alive "$SLUICED_PID"; then
	ok "sluiced keeps running"
else
	fail "sluiced keeps running"
fi
stop_pid "$SLUICED_PID" TERM 20
rc=$?
if [[ $rc -eq 0 ]]; then ok "and stops cleanly"; else fail "and stops cleanly" "exit $rc"; fi
finish
