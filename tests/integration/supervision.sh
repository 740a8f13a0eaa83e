#!/bin/bash
# tests/integration/supervision.sh: automatic restarts with backoff,
# crash isolation and watchdogs, with plugins that misbehave on purpose.
#
# 1. A crash loop follows the configured delays (0, then base doubling to
#    the cap, with jitter) and stops at restart.max.attempts as FAILED.
# 2. A task that runs longer than restart.stable.ms before it dies starts
#    counting anew: it is never given up on.
# 3. While one task crashes over and over, another connector in the same
#    sluiced keeps moving data with no gap.
# 4. A task stuck in poll() or put() is killed by the heartbeat watchdog
#    ("no heartbeat for N ms") and restarted.
# 5. Traces say what happened: "exited with status 3", "killed by signal 6".
# 6. A storm of task output is rate-limited in sluiced's log.
# 7. A task that ignores stop is killed after the grace period (SIGTERM,
#    then SIGKILL), sluiced still exits 0 and leaves no process behind.
. "$(dirname "$0")/lib.sh"

lib_init
# these crash with SIGSEGV on purpose
EXPECTED_CRASHES="crashloop stable"
require_cmd timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/test-plugins/misbehave_source.so"

BOOTSTRAP= # the embedded cluster
mkdir -p "$WORK/plugins"
cp "$BUILD/test-plugins/misbehave_source.so" "$BUILD/test-plugins/misbehave_sink.so" \
	"$WORK/plugins/"
write_worker "$WORK/worker.properties" \
	"plugin.path=$BUILD/plugins,$WORK/plugins" \
	"embedded.topics=good:1,t:1" \
	"task.heartbeat.interval.ms=200" "task.heartbeat.timeout.ms=1500" \
	"task.shutdown.graceful.timeout.ms=1000"

conn() { # NAME KEY=VALUE...
	local name=$1
	shift
	{
		echo "name=$name"
		printf '%s\n' "$@"
	} >"$WORK/$name.properties"
}
conn crashloop connector.class=MisbehaveSource topic=t mode=segv after=0 \
	restart.backoff.initial.ms=0 restart.backoff.base.ms=300 \
	restart.backoff.max.ms=1200 restart.max.attempts=5
conn stable connector.class=MisbehaveSource topic=t mode=segv after=100 \
	rate=10 restart.stable.ms=100 restart.max.attempts=2
conn spinner connector.class=MisbehaveSource topic=t mode=loop after=20
conn exiter connector.class=MisbehaveSource topic=t mode=exit exit.code=3 \
	restart.max.attempts=0
conn aborter connector.class=MisbehaveSource topic=t mode=abort \
	restart.max.attempts=0
conn storm connector.class=MisbehaveSource topic=t mode=log_storm after=10
conn stuck-sink connector.class=MisbehaveSink topics=good \
	"file=$WORK/stuck.txt" mode=hang after=5
conn good-src connector.class=FileStreamSource "file=$WORK/in.txt" topic=good
conn good-sink connector.class=FileStreamSink "file=$WORK/out.txt" topics=good

: >"$WORK/in.txt"
append() {
	local i
	for ((i = $1; i <= $2; i += 100)); do
		seq "$i" $((i + 99)) >>"$WORK/in.txt"
		sleep 0.05
	done
}

if ! start_sluiced sluiced standalone "$WORK/worker.properties" \
	"$WORK/good-src.properties" "$WORK/good-sink.properties" \
	"$WORK/crashloop.properties" "$WORK/stable.properties" \
	"$WORK/spinner.properties" "$WORK/exiter.properties" \
	"$WORK/aborter.properties" "$WORK/storm.properties" \
	"$WORK/stuck-sink.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
LOG=$WORK/sluiced.err
append 1 4000 &
APPENDER=$!

# --- 1. the crash loop's delays ------------------------------------------
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=crashloop .*gave up after 5 restart" 30; then
	ok "a crash loop stops at restart.max.attempts as FAILED"
else
	fail "a crash loop stops at restart.max.attempts as FAILED" \
		"$(grep "conn=crashloop" "$LOG" | grep -E "RESTART|FAILED" | tail -n 8)"
fi
# the delays between a death and the next spawn: 0, 300, 600, 1200, 1200
# (+-20 % jitter), as logged and as measured from the log's clock
python3 - "$LOG" >"$WORK/delays.txt" <<'EOF'
import re, sys
from datetime import datetime
def t(line):
    return datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1000
spawns, restarts = [], []
for line in open(sys.argv[1]):
    if "conn=crashloop" not in line or "task=0" not in line:
        continue
    if "SV-UNIT-SPAWN" in line:
        spawns.append(t(line))
    m = re.search(r"SV-UNIT-RESTART .* restart (\d+) in (\d+) ms", line)
    if m:
        restarts.append((t(line), int(m.group(1)), int(m.group(2))))
want = [0, 300, 600, 1200, 1200]
bad = []
for i, (at, n, d) in enumerate(restarts):
    lo, hi = want[i] * 0.8, want[i] * 1.2
    waited = spawns[i + 1] - at
    if n != i + 1 or not (lo <= d <= hi) or not (d - 50 <= waited <= d + 250):
        bad.append("restart %d: logged %d ms (want %d..%d), spawned after %d ms" % (n, d, lo, hi, waited))
print(" ".join("%d" % d for _, _, d in restarts))
for b in bad:
    print(b)
sys.exit(1 if bad or len(restarts) != 5 else 0)
EOF
if [[ $? -eq 0 ]]; then
	ok "the restarts follow the configured delays (ms: $(head -n 1 "$WORK/delays.txt"))"
else
	fail "the restarts follow the configured delays" "$(cat "$WORK/delays.txt")"
fi

# --- 2. a stable period resets the count ---------------------------------
wait_until 20 eval '(( $(grep -c "SV-UNIT-RESTART task=0 conn=stable " "$LOG") >= 4 ))'
counts=$(grep "SV-UNIT-RESTART task=0 conn=stable " "$LOG" |
	sed -E 's/.* restart ([0-9]+) in.*/\1/' | sort -u | tr '\n' ' ')
if [[ $counts == "1 " ]] && ! grep -q "SV-UNIT-FAILED task=0 conn=stable " "$LOG"; then
	ok "a task that ran past restart.stable.ms counts from 1 again, never given up"
else
	fail "a task that ran past restart.stable.ms counts from 1 again" \
		"restart counts seen: $counts" "$(grep "conn=stable" "$LOG" | grep -E "RESTART|FAILED" | tail -n 3)"
fi

# --- 4. watchdogs ---------------------------------------------------------
if wait_for_log "$LOG" "SV-UNIT-HEARTBEAT task=0 conn=spinner .*no heartbeat for" 20 &&
	wait_for_log "$LOG" "SV-UNIT-RESTART task=0 conn=spinner .*no heartbeat for 1[5-9][0-9][0-9] ms; restart 1" 5; then
	ok "a task spinning in poll() is killed by the watchdog and restarted"
else
	fail "a task spinning in poll() is killed by the watchdog and restarted" \
		"$(grep "conn=spinner" "$LOG" | tail -n 5)"
fi
if wait_for_log "$LOG" "SV-UNIT-RESTART task=0 conn=stuck-sink .*no heartbeat for" 30; then
	ok "a sink stuck in put() is killed by the watchdog and restarted"
else
	fail "a sink stuck in put() is killed by the watchdog and restarted" \
		"$(grep "conn=stuck-sink" "$LOG" | tail -n 5)"
fi

# --- 5. traces in words ---------------------------------------------------
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=exiter .*exited with status 3" 10; then
	ok "trace: exited with status 3"
else
	fail "trace: exited with status 3" "$(grep "conn=exiter" "$LOG" | tail -n 3)"
fi
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=aborter .*killed by signal 6" 10; then
	ok "trace: killed by signal 6"
else
	fail "trace: killed by signal 6" "$(grep "conn=aborter" "$LOG" | tail -n 3)"
fi

# --- 6. a log storm is rate-limited ----------------------------------------
if wait_for_log "$LOG" "SV-LOG-DROPPED task=0 conn=storm .*dropped" 30; then
	n=$(grep -c "conn=storm .*storm line" "$LOG")
	if ((n < 20000)); then
		ok "a storm of 200000 output lines is rate-limited ($n relayed)"
	else
		fail "a storm of output lines is rate-limited" "$n relayed"
	fi
else
	fail "a storm of output lines is rate-limited" "$(grep -c "conn=storm" "$LOG") lines"
fi

# --- 3. the good pipeline never stopped -------------------------------------
wait "$APPENDER"
if wait_until 30 has_lines "$WORK/out.txt" 4000 &&
	cmp -s <(seq 1 4000) "$WORK/out.txt"; then
	ok "meanwhile another connector moved every line, in order, with no gap"
else
	fail "meanwhile another connector moved every line, in order" \
		"$(lines "$WORK/out.txt") of 4000 lines"
fi
if alive "$SLUICED_PID"; then ok "sluiced keeps running"; else fail "sluiced keeps running"; fi

# --- 7. a task that ignores stop --------------------------------------------
conn deaf connector.class=MisbehaveSource topic=t mode=hang_stop
stop_pid "$SLUICED_PID" TERM 30
rc=$?
if ! start_sluiced sluiced2 standalone "$WORK/worker.properties" "$WORK/deaf.properties"; then
	fail "sluiced starts again" "$(tail -n 20 "$WORK/sluiced2.err")"
	finish
fi
LOG=$WORK/sluiced2.err
wait_for_log "$LOG" "SV-UNIT-RUNNING task=0 conn=deaf " 20
pids=$(my_taskhosts)
start=$(date +%s%N)
stop_pid "$SLUICED_PID" TERM 30
rc2=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [[ $rc2 -eq 0 ]] && grep -q "SV-UNIT-STOP-TIMEOUT task=0 conn=deaf .*did not stop within 1000 ms: SIGTERM" "$LOG" &&
	grep -q "SV-UNIT-KILL task=0 conn=deaf .*ignored SIGTERM: SIGKILL" "$LOG"; then
	ok "a task that ignores stop gets SIGTERM after the grace period, then SIGKILL ($ms ms, exit 0)"
else
	fail "a task that ignores stop gets SIGTERM after the grace period, then SIGKILL" \
		"exit $rc2 after $ms ms" "$(grep "conn=deaf" "$LOG" | tail -n 5)"
fi
left=""
for p in $pids; do
	alive "$p" && left="$left $p"
done
if [[ -z $left && -z $(my_taskhosts) ]]; then
	ok "no taskhost and no zombie is left (first stop exit $rc)"
else
	fail "no taskhost and no zombie is left" "left:$left $(my_taskhosts)"
fi
finish
