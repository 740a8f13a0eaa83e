#!/bin/bash
# tests/integration/crash_recovery.sh: nothing acknowledged is lost when
# processes die.
#
# 1. kill -9 of one taskhost (the source task, then the sink task):
#    sluiced notices within a second, starts a new one that resumes from
#    the committed offset, and no line is lost; lines appended after the
#    sink task's restart arrive too, and the sink writes the records in
#    Kafka's order, going back only at a kill.
# 2. kill -9 of sluiced mid-stream (its taskhosts exit by themselves),
#    then a restart:
#    every line arrives at least once; the only duplicates are the
#    records after the last flushed source offset and after the last
#    committed sink position.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic lines:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi

IN=$WORK/in.txt
OUT=$WORK/out.txt
write_worker "$WORK/worker.properties" "sluice.log.level=DEBUG" \
	"consumer.session.timeout.ms=6000" "consumer.heartbeat.interval.ms=500"
cat >"$WORK/source.properties" <<EOF
name=src
connector.class=FileStreamSource
file=$IN
topic=lines
EOF
cat >"$WORK/sink.properties" <<EOF
name=sink
connector.class=FileStreamSink
file=$OUT
topics=lines
EOF
: >"$IN"

append() {
	local i
	for ((i = $1; i <= $2; i += 250)); do
		seq "$i" $((i + 249 > $2 ? $2 : i + 249)) >>"$IN"
		sleep 0.1
	done
}

# ms_of LINE: the log line's timestamp as milliseconds of the day.
ms_of() {
	local t=${1:11:12}
	echo $(((10#${t:0:2} * 3600 + 10#${t:3:2} * 60 + 10#${t:6:2}) * 1000 + 10#${t:9:3}))
}

# kill_task LOG CONN: kill -9 of the task's taskhost; checks that a new
# one runs within a second.
kill_task() {
	local log=$1 conn=$2 old new before killed_at up_line
	old=$(task_pid "$log" "$conn" 0)
	before=$(grep -c "SV-UNIT-RUNNING task=0 conn=$conn " "$log")
	killed_at=$(date -u +%H:%M:%S.%N)
	kill -9 "$old"
	if ! wait_until 5 eval "(( \$(grep -c 'SV-UNIT-RUNNING task=0 conn=$conn ' '$log') > $before ))"; then
		fail "kill -9 of the $conn task: a new taskhost runs" \
			"$(tail -n 20 "$log")"
		return
	fi
	new=$(task_pid "$log" "$conn" 0)
	up_line=$(grep "SV-UNIT-RUNNING task=0 conn=$conn " "$log" | tail -n 1)
	local dt=$(($(ms_of "$up_line") - $(ms_of "0000000000T${killed_at:0:12}")))
	if [[ $new != "$old" ]] && alive "$new" && ((dt < 1000)); then
		ok "kill -9 of the $conn task: pid $old replaced by $new in $dt ms"
	else
		fail "kill -9 of the $conn task: replaced within a second" \
			"old $old new $new after $dt ms"
	fi
}

has_lines_unique() {
	(($(sort -u "$1" | wc -l) >= $2))
}

# --- 1. one taskhost at a time --------------------------------------------
if ! start_sluiced sluiced1 standalone "$WORK/worker.properties" \
	"$WORK/source.properties" "$WORK/sink.properties"; then
	fail "sluiced starts" "$(tail -n 30 "$WORK/sluiced1.err")"
	finish
fi
append 1 3000 &
APPENDER=$!
wait_until 30 has_lines "$OUT" 500
kill_task "$WORK/sluiced1.err" src
wait_until 30 has_lines "$OUT" 2500
kill_task "$WORK/sluiced1.err" sink
wait "$APPENDER"
# the new sink task goes on with what comes after its start
append 3001 4000

if wait_until 60 has_lines_unique "$OUT" 4000 &&
	cmp -s <(seq 1 4000) <(sort -n -u "$OUT"); then
	ok "no line lost across taskhost kills ($(lines "$OUT") lines written, $(sort "$OUT" | uniq -d | wc -l) duplicates)"
else
	fail "no line lost across taskhost kills" \
		"$(sort -n -u "$OUT" | wc -l) distinct lines of 4000" \
		"$(comm -23 <(seq 1 4000 | sort) <(sort -u "$OUT") | head -n 5)"
fi
# Kafka's order, one partition: each line follows the one before it or
# goes back to an earlier one (a new source or sink process starts again
# from the last commit); never forward past a line not yet written
if verdict=$(python3 - "$OUT" <<'PY'
import sys
prev, back = 0, 0
for n, line in enumerate(open(sys.argv[1]), 1):
    v = int(line)
    if v > prev + 1:
        print("line %d is %d, after %d" % (n, v, prev))
        sys.exit(1)
    back += v <= prev
    prev = v
print("%d rewinds" % back)
sys.exit(back > 2)
PY
); then
	ok "the sink wrote the records in order across the kills ($verdict)"
else
	fail "the sink wrote the records in order across the kills" "$verdict"
fi
if alive "$SLUICED_PID"; then
	ok "sluiced keeps running"
else
	fail "sluiced keeps running"
fi

# --- 2. everything at once ---------------------------------------------
commits() {
	grep -c "SV-SINK-COMMITTED task=0 conn=sink " "$WORK/sluiced1.err"
}
append 4001 12000 &
APPENDER=$!
c0=$(commits)
# mid-stream, after the sink has committed at least twice more
wait_until 30 eval '(( $(lines "$OUT") >= 7000 && $(commits) >= c0 + 2 ))'
taskhosts=$(my_taskhosts)
# sluiced first: its taskhosts must notice and exit by themselves
kill -9 "$SLUICED_PID"
wait_until 5 dead "$SLUICED_PID"
{ wait "$SLUICED_PID"; } 2>/dev/null
gone() {
	local p
	for p in $taskhosts; do
		alive "$p" && return 1
	done
	return 0
}
if wait_until 1 gone; then
	ok "every taskhost exits by itself within a second when sluiced is killed"
else
	fail "every taskhost exits by itself within a second when sluiced is killed" \
		"still running: $(my_taskhosts)"
	kill -9 $taskhosts 2>/dev/null
fi
sleep 0.2
# what survived the crash
cp "$OUT" "$WORK/out.at-kill"
cp "$WORK/state/offsets.json" "$WORK/offsets.at-kill"
sink_committed=$(grep -E "SV-SINK-COMMITTED task=0 conn=sink " "$WORK/sluiced1.err" |
	tail -n 1 | sed -E 's/.* at ([0-9]+)$/\1/')
wait "$APPENDER"

if ! start_sluiced sluiced2 standalone "$WORK/worker.properties"; then
	fail "sluiced restarts after kill -9" "$(tail -n 30 "$WORK/sluiced2.err")"
	finish
fi
wait_until 60 has_lines_unique "$OUT" 12000
sleep 2
timeout 30 kcat -b "$BOOTSTRAP" -C -t lines -o beginning -e -q >"$WORK/topic.txt"

# The topic must be the lines up to some x, then the lines after the
# source's flushed position again (only those are duplicated); the sink
# file must be what it held at the kill, then the topic's records from
# the sink's committed position on (only those are duplicated).
python3 - "$IN" "$WORK/offsets.at-kill" "$WORK/topic.txt" "$WORK/out.at-kill" \
	"$OUT" "${sink_committed:-0}" >"$WORK/verdict.txt" 2>&1 <<'EOF'
import json, sys
src, offs, topic, at_kill, out, committed = sys.argv[1:7]
data = open(src, "rb").read()
o = json.load(open(offs))
pos = [e["value"]["position"] for e in o["offsets"]]
pos = pos[0] if pos else 0
flushed_lines = data[:pos].count(b"\n")
T = open(topic).read().split("\n")[:-1]
S = open(out).read().split("\n")[:-1]
K = len(open(at_kill).read().split("\n")) - 1
C = int(committed)
want = [str(i) for i in range(1, 12001)]
errors = []
if sorted(set(S), key=int) != want:
    errors.append("sink file misses lines: %d distinct" % len(set(S)))
# topic = want[:x] + want[flushed_lines:]
x = len(T) - (12000 - flushed_lines)
if not (0 <= flushed_lines <= x) or T != want[:x] + want[flushed_lines:]:
    errors.append("topic is not lines[:x] + lines[flushed:] (flushed %d, %d records)" % (flushed_lines, len(T)))
Skill = open(at_kill).read().split("\n")[:-1]
if S != Skill + T[C:]:
    errors.append("sink file is not what it held at the kill + topic[C:] (K %d, C %d, %d lines)" % (K, C, len(S)))
elif C > 0 and T[C - 1] not in Skill:
    errors.append("the sink committed past what it had written")
print("flushed source lines %d, topic records %d, sink lines at kill %d, sink committed %d, sink lines %d"
      % (flushed_lines, len(T), K, C, len(S)))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
EOF
if [[ $? -eq 0 ]]; then
	ok "kill -9 of everything: no line lost, duplicates only after the flushed offsets ($(cat "$WORK/verdict.txt"))"
else
	fail "kill -9 of everything: no line lost, duplicates only after the flushed offsets" \
		"$(cat "$WORK/verdict.txt")"
fi
stop_pid "$SLUICED_PID" TERM 20
finish
