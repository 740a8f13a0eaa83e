#!/bin/bash
# tests/integration/supervision_rest.sh: supervision as the REST API shows
# it.
#
# 1. kill -9 of a source and of a sink taskhost: RUNNING again with a new
#    pid in under a second, restart count 1 in the status, no line lost.
# 2. While one task crashes over and over, status requests stay fast and
#    another connector keeps moving data.
# 3. A config failure (a source file that is a directory) and a load
#    failure (a plugin file broken after sluiced started) are FAILED at
#    once with a trace, and POST .../restart brings them back once fixed.
# 4. A memory bomb is contained: the task is killed and restarted, its
#    neighbours do not notice.
. "$(dirname "$0")/rest_lib.sh"

lib_init
EXPECTED_CRASHES="crasher" # it crashes with SIGSEGV on purpose
require_cmd curl jq timeout python3
require_file "$BUILD/sluiced" "$BUILD/test-plugins/misbehave_source.so"

BOOTSTRAP= # the embedded cluster
mkdir -p "$WORK/plugins" "$WORK/adir"
cp "$BUILD/test-plugins/misbehave_source.so" "$WORK/plugins/"
cp "$BUILD/test-plugins/misbehave_source.so" "$WORK/plugins/flaky.so"
# the same plugin under another name, for the load failure
sed -i 's/MisbehaveSource/FlakySourceXXXX/' "$WORK/plugins/flaky.so"
if ! rest_start s "plugin.path=$BUILD/plugins,$WORK/plugins" \
	"embedded.topics=lines:1,t:1" "task.heartbeat.interval.ms=200" \
	"task.heartbeat.timeout.ms=1500"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/s.err")"
	finish
fi

put() { # NAME JSON-CONFIG: creates or replaces a connector
	req PUT "/connectors/$1/config" "$2"
	[[ $CODE == 200 || $CODE == 201 ]] || fail "PUT $1" "HTTP $CODE: $RESP"
}
status() { # NAME [TASK]: a field of the status (jq path after .)
	rcurl "/connectors/$1/status" | jq -r "$2" 2>/dev/null
}

: >"$WORK/in.txt"
put src "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"lines\"}"
put sink "{\"connector.class\":\"FileStreamSink\",\"file\":\"$WORK/out.txt\",\"topics\":\"lines\",\"consumer.override.session.timeout.ms\":\"6000\"}"
wait_until 20 task_state_is src 0 RUNNING
wait_until 20 task_state_is sink 0 RUNNING
append() {
	local i
	for ((i = $1; i <= $2; i += 100)); do
		seq "$i" $((i + 99)) >>"$WORK/in.txt"
		sleep 0.05
	done
}
append 1 3000 &
APPENDER=$!

# --- 1. kill -9, seen through the status -----------------------------------
kill_and_watch() { # CONNECTOR
	local c=$1 old new t0 ms restarts
	old=$(status "$c" '.tasks[0].pid')
	t0=$(date +%s%N)
	kill -9 "$old"
	wait_until 5 eval "[[ \$(status $c '.tasks[0].state') == RUNNING && \$(status $c '.tasks[0].pid') != $old ]]"
	ms=$((($(date +%s%N) - t0) / 1000000))
	new=$(status "$c" '.tasks[0].pid')
	restarts=$(status "$c" '.tasks[0].restarts')
	if [[ $new != "$old" && $new != null ]] && ((ms < 1000)) && [[ $restarts == 1 ]]; then
		ok "kill -9 of $c-0: RUNNING with pid $new after $ms ms, restarts 1"
	else
		fail "kill -9 of $c-0: RUNNING again in under a second, restarts 1" \
			"old $old new $new after $ms ms, restarts $restarts" \
			"$(rcurl "/connectors/$c/status")"
	fi
	if [[ $(status "$c" '.tasks[0].last_restart') =~ ^20[0-9-]+T ]]; then
		ok "the status of $c-0 says when it last restarted"
	else
		fail "the status of $c-0 says when it last restarted" "$(rcurl "/connectors/$c/status")"
	fi
}
wait_until 20 has_lines "$WORK/out.txt" 200
kill_and_watch src
wait_until 20 has_lines "$WORK/out.txt" 1500
kill_and_watch sink

# --- 2. a crash loop next door ------------------------------------------------
put crasher '{"connector.class":"MisbehaveSource","topic":"t","mode":"segv","restart.backoff.base.ms":"50","restart.backoff.max.ms":"100"}'
wait_until 10 eval '[[ $(status crasher ".tasks[0].restarts") -ge 3 ]]'
for ((i = 0; i < 200; i++)); do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -m 5 "$URL/connectors/src/status"
done >"$WORK/latency.txt"
python3 - "$WORK/latency.txt" >"$WORK/latency.out" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
ok = [float(t) * 1000 for c, t in rows if c == "200"]
ok.sort()
p50, p99 = ok[len(ok) // 2], ok[int(len(ok) * 0.99) - 1]
print("%d of %d answered, p50 %.1f ms, p99 %.1f ms" % (len(ok), len(rows), p50, p99))
sys.exit(0 if len(ok) == len(rows) and p99 < 100 else 1)
EOF
if [[ $? -eq 0 ]]; then
	ok "status requests stay fast during a crash loop ($(cat "$WORK/latency.out"))"
else
	fail "status requests stay fast during a crash loop" "$(cat "$WORK/latency.out")"
fi
n=$(status crasher '.tasks[0].restarts')
if ((n >= 5)); then
	ok "the crash loop went on meanwhile ($n restarts)"
else
	fail "the crash loop went on meanwhile" "$n restarts"
fi
req DELETE /connectors/crasher

# --- 4. a memory bomb ------------------------------------------------------------
put bomb '{"connector.class":"MisbehaveSource","topic":"t","mode":"memory","sandbox.memory.max":"64MiB"}'
if wait_until 20 eval '[[ $(status bomb ".tasks[0].restarts") -ge 1 ]]'; then
	ok "a memory bomb is stopped and restarted ($(grep -m 1 -o 'SV-UNIT-RESTART task=0 conn=bomb .*' "$LOG" | sed 's/.*bomb-0: //'))"
else
	fail "a memory bomb is stopped and restarted" "$(rcurl /connectors/bomb/status)"
fi
req DELETE /connectors/bomb

wait "$APPENDER"
if wait_until 30 eval 'cmp -s <(seq 1 3000) <(sort -n -u "$WORK/out.txt")'; then
	ok "meanwhile no line was lost ($(lines "$WORK/out.txt") written for 3000)"
else
	fail "meanwhile no line was lost" "$(sort -n -u "$WORK/out.txt" | wc -l) distinct of 3000"
fi

# --- 3. fixed, then restarted ---------------------------------------------------
put broken "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/adir\",\"topic\":\"t\"}"
if wait_until 10 task_state_is broken 0 FAILED &&
	[[ $(status broken '.tasks[0].trace') == *"$WORK/adir"* ]]; then
	ok "a config failure is FAILED at once, the trace names the file"
else
	fail "a config failure is FAILED at once, the trace names the file" \
		"$(rcurl /connectors/broken/status)"
fi
sleep 1
if [[ $(status broken '.tasks[0].restarts') == 0 ]]; then
	ok "... and is not retried by itself"
else
	fail "... and is not retried by itself" "$(rcurl /connectors/broken/status)"
fi
rmdir "$WORK/adir"
echo "fixed" >"$WORK/adir"
req POST "/connectors/broken/restart?includeTasks=true&onlyFailed=true"
if [[ $CODE == 202 ]] && wait_until 10 task_state_is broken 0 RUNNING; then
	ok "POST .../restart brings it back once fixed"
else
	fail "POST .../restart brings it back once fixed" "HTTP $CODE" \
		"$(rcurl /connectors/broken/status)"
fi

put flaky '{"connector.class":"FlakySourceXXXX","topic":"t","mode":"none"}'
wait_until 10 task_state_is flaky 0 RUNNING
req PUT /connectors/flaky/stop
cp "$WORK/plugins/flaky.so" "$WORK/flaky.good"
head -c 2048 /dev/urandom >"$WORK/plugins/flaky.so"
req PUT /connectors/flaky/resume
if wait_until 10 state_is flaky FAILED &&
	[[ $(status flaky '.connector.trace') == *flaky.so* ]]; then
	ok "a plugin that no longer loads is FAILED at once with a trace"
else
	fail "a plugin that no longer loads is FAILED at once with a trace" \
		"$(rcurl /connectors/flaky/status)"
fi
cp "$WORK/flaky.good" "$WORK/plugins/flaky.so"
req POST "/connectors/flaky/restart?includeTasks=true"
if wait_until 10 state_is flaky RUNNING && wait_until 10 task_state_is flaky 0 RUNNING; then
	ok "POST .../restart brings it back once the plugin is fixed"
else
	fail "POST .../restart brings it back once the plugin is fixed" \
		"$(rcurl /connectors/flaky/status)"
fi
stop_pid "$SLUICED_PID" TERM 20
finish
