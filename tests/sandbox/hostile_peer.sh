#!/bin/bash
# tests/sandbox/hostile_peer.sh: the hostile-peer suite. sluiced runs
# tests/sandbox/fake_taskhost.c as its taskhost (sluice.taskhost); for
# the tasks of connectors named peer-<mode> it speaks the protocol badly
# (see that file), everything else it hands to the real taskhost. Each
# time, sluiced must kill that taskhost, mark the task FAILED with the
# reason (and not start it again), and keep serving everything else: a
# file pipeline in the same sluiced keeps moving data throughout.
. "$(dirname "$0")/../integration/lib.sh"

lib_init
FAKE=$BUILD/tests/fake_taskhost
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$FAKE" \
	"$BUILD/test-plugins/hostile_source.so"

BOOTSTRAP=
write_worker "$WORK/worker.properties" \
	"plugin.path=$BUILD/plugins,$BUILD/test-plugins/hostile_source.so" \
	"sluice.taskhost=$FAKE" "embedded.topics=ctl:1,peer:1" \
	"task.heartbeat.interval.ms=500" "task.heartbeat.timeout.ms=3000"

# mode -> what the task's trace must say
declare -A expect=(
	[truncated]='protocol violation: SOURCE_BATCH: malformed SOURCE_BATCH'
	[oversized_decl]='protocol violation: SOURCE_BATCH: malformed SOURCE_BATCH'
	[wrong_type]='protocol violation: SOURCE_BATCH: malformed SOURCE_BATCH'
	[unknown_message]='protocol violation: a frame that is not a sluice message \(2 bytes\)'
	[not_allowed]='protocol violation: TASK_CONFIGS \(10\) is not allowed from a source task'
	[out_of_sequence]='protocol violation: SOURCE_BATCH: batch 5 out of sequence \(expected 1\)'
	[flood]='protocol violation: SOURCE_BATCH: batch [0-9]+ (sent without credit|out of sequence \(expected [0-9]+\))'
	[bad_topic]='protocol violation: SOURCE_BATCH: a record for topic "forbidden", which topics.allowed \(allowed-.\*\) does not allow'
	[ack_unsent]='protocol violation: SINK_ACK: ack for batch 77, which was not sent'
	[flushed_unsent]='protocol violation: SINK_FLUSHED: SINK_FLUSHED 77 answers no flush'
	[shared_bounds]='protocol violation: SOURCE_SHARED: out of the batch region: slot 16 of 16, 10 bytes'
	[shared_long]='protocol violation: SOURCE_SHARED: out of the batch region: slot 0 of 16, [0-9]+ bytes of [0-9]+'
	[shared_garbage]='protocol violation: SOURCE_SHARED: slot 0 holds no SOURCE_BATCH'
	[shared_shrink]='protocol violation: SOURCE_SHARED: slot 0 holds no SOURCE_BATCH'
)
files=()
failing=() # the connectors whose task must end FAILED
for m in truncated oversized_decl wrong_type unknown_message not_allowed \
	out_of_sequence flood bad_topic oversized_frame shared_bounds \
	shared_long shared_garbage shared_shrink; do
	failing+=("$WORK/peer-$m.properties")
	{
		echo "name=peer-$m"
		echo "connector.class=HostileSource"
		echo "topic=peer"
		[[ $m == bad_topic ]] && echo 'topics.allowed=allowed-.*'
	} >"$WORK/peer-$m.properties"
	files+=("$WORK/peer-$m.properties")
done
for m in ack_unsent flushed_unsent; do
	failing+=("$WORK/peer-$m.properties")
	cat >"$WORK/peer-$m.properties" <<EOF
name=peer-$m
connector.class=FileStreamSink
file=$WORK/peer-$m.txt
topics=peer
EOF
	files+=("$WORK/peer-$m.properties")
done
cat >"$WORK/ctl-src.properties" <<EOF
name=ctl-src
connector.class=FileStreamSource
file=$WORK/in.txt
topic=ctl
EOF
cat >"$WORK/ctl-sink.properties" <<EOF
name=ctl-sink
connector.class=FileStreamSink
file=$WORK/out.txt
topics=ctl
EOF
: >"$WORK/in.txt"

if ! start_sluiced sluiced standalone "$WORK/worker.properties" "${files[@]}" \
	"$WORK/ctl-src.properties" "$WORK/ctl-sink.properties"; then
	fail "sluiced starts with the fake taskhost" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
LOG=$WORK/sluiced.err
next=1
append() {
	local i end=$((next + $1))
	for ((i = next; i < end; i++)); do
		echo "line $i" >>"$WORK/in.txt"
	done
	next=$end
}
append 100
if wait_until 20 has_lines "$WORK/out.txt" 100; then
	ok "the control pipeline flows (through the real taskhost)"
else
	fail "the control pipeline flows" "$(lines "$WORK/out.txt") lines"
fi

failed_line() {
	grep -E "SV-UNIT-FAILED task=0 conn=$1 " "$LOG" | tail -n 1
}
has_failed() {
	[[ -n $(failed_line "$1") ]]
}
# The first reason sluiced gave (a second violation, read from the
# frames still queued while the process dies, may replace the trace).
reason_line() {
	local v
	v=$(grep -E "SV-UNIT-VIOLATION task=0 conn=$1 " "$LOG" | head -n 1)
	if [[ -n $v ]]; then
		echo "$v"
	else
		failed_line "$1"
	fi
}
for f in "${failing[@]}"; do
	name=$(basename "$f" .properties)
	m=${name#peer-}
	wait_until 30 has_failed "$name"
	line=$(failed_line "$name")
	if [[ -z $line ]]; then
		fail "$m: the task ends FAILED" \
			"$(grep -E "conn=$name " "$LOG" | tail -n 6)"
	elif line=$(reason_line "$name") &&
		grep -Eq -- "${expect[$m]}" <<<"$line"; then
		ok "$m: killed and FAILED ($(sed -E 's/.*(FAILED|-0): //; s/: killing it$//' <<<"$line"))"
	else
		fail "$m: killed and FAILED with the reason" "$line" \
			"expected: ${expect[$m]}"
	fi
done

# A frame over PROTO_FRAME_MAX never reaches sluiced's decoder: nng
# refuses it (nothing is allocated for it) and drops the connection;
# sluiced sees the channel close under a live process and FAILs it.
if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=peer-oversized_frame .*channel closed while it ran" 20; then
	ok "oversized_frame: refused by nng before any allocation, the taskhost killed and FAILED"
else
	fail "oversized_frame: refused by nng, the taskhost killed and FAILED" \
		"$(grep 'conn=peer-oversized_frame ' "$LOG" | tail -n 5)"
fi

# The batch region is sealed: a task that truncates it (which would make
# sluiced fault on its next read) is refused by the kernel.
if grep -q "FAKE shrink refused: Operation not permitted" "$LOG"; then
	ok "shared_shrink: truncating the batch region is refused (sealed)"
else
	fail "shared_shrink: truncating the batch region is refused (sealed)" \
		"$(grep -E 'conn=peer-shared_shrink |FAKE shrink' "$LOG" | tail -n 5)"
fi

again=()
for f in "${failing[@]}"; do
	name=$(basename "$f" .properties)
	n=$(grep -cE "SV-UNIT-SPAWN task=0 conn=$name " "$LOG")
	((n == 1)) || again+=("$name x$n")
done
if [[ ${#again[@]} -eq 0 ]]; then
	ok "no FAILED task was started again"
else
	fail "no FAILED task was started again" "${again[@]}"
fi
fakes=$(pgrep -f -- "fake_taskhost .*--task-dir $WORK/state/tasks/peer-[a-z_]+-0" |
	grep -vxF -- "$(pgrep -f -- 'peer-oversized_frame-0')" | tr '\n' ' ')
if [[ -z $fakes ]]; then
	ok "no fake taskhost is left running"
else
	fail "no fake taskhost is left running" "$fakes"
fi
if alive "$SLUICED_PID"; then
	ok "sluiced keeps running"
else
	fail "sluiced keeps running" "$(tail -n 20 "$LOG")"
fi
append 100
if wait_until 20 has_lines "$WORK/out.txt" 200; then
	ok "the control pipeline still flows"
else
	fail "the control pipeline still flows" "$(lines "$WORK/out.txt") of 200"
fi
stop_pid "$SLUICED_PID" TERM 20
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "sluiced stops cleanly"
else
	fail "sluiced stops cleanly" "exit $rc" "$(tail -n 10 "$LOG")"
fi
finish
