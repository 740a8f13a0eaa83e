#!/bin/bash
# tests/integration/errors.sh: records that cannot be converted.
#
# 1. errors.tolerance=none (the default): the sink task FAILs with a trace
#    that names the stage and the record, and is not restarted in a loop;
#    nothing past the bad record is committed.
# 2. errors.tolerance=all with a dead letter queue: good records reach the
#    sink, bad ones go to the DLQ topic with their original bytes and
#    Kafka Connect's __connect.errors.* headers.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic in:1 --topic dlq:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
write_worker "$WORK/worker.properties" "consumer.session.timeout.ms=6000"
printf '%s\n' '"one"' '"two"' 'not json' '"three"' '{"broken":' '"four"' \
	>"$WORK/records.txt"
timeout 20 kcat -b "$BOOTSTRAP" -P -t in -l "$WORK/records.txt"

cat >"$WORK/strict.properties" <<EOF
name=strict
connector.class=FileStreamSink
file=$WORK/strict.txt
topics=in
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
EOF
cat >"$WORK/tolerant.properties" <<EOF
name=tolerant
connector.class=FileStreamSink
file=$WORK/tolerant.txt
topics=in
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
errors.tolerance=all
errors.deadletterqueue.topic.name=dlq
errors.deadletterqueue.context.headers.enable=true
EOF

if ! start_sluiced sluiced standalone "$WORK/worker.properties" \
	"$WORK/strict.properties" "$WORK/tolerant.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
LOG=$WORK/sluiced.err

if wait_for_log "$LOG" "SV-UNIT-FAILED task=0 conn=strict .*value converter.*in-0@2" 30; then
	ok "tolerance none: the task FAILs naming the stage and the record"
else
	fail "tolerance none: the task FAILs naming the stage and the record" \
		"$(grep "conn=strict" "$LOG" | tail -n 5)"
fi
sleep 2
n=$(grep -c "SV-UNIT-SPAWN task=0 conn=strict " "$LOG")
if ((n == 1)); then
	ok "tolerance none: a bad record is not retried in a loop"
else
	fail "tolerance none: a bad record is not retried in a loop" "$n spawns"
fi
if [[ $(cat "$WORK/strict.txt" 2>/dev/null) == "" ]] ||
	cmp -s "$WORK/strict.txt" <(printf 'one\ntwo\n'); then
	ok "tolerance none: nothing past the bad record is written"
else
	fail "tolerance none: nothing past the bad record is written" "$(cat "$WORK/strict.txt")"
fi

if wait_until 30 has_lines "$WORK/tolerant.txt" 4 &&
	cmp -s "$WORK/tolerant.txt" <(printf 'one\ntwo\nthree\nfour\n'); then
	ok "tolerance all: the good records reach the sink, in order"
else
	fail "tolerance all: the good records reach the sink, in order" \
		"$(cat "$WORK/tolerant.txt" 2>/dev/null)"
fi
timeout 20 kcat -b "$BOOTSTRAP" -C -t dlq -o beginning -c 2 -q \
	-f '%s|%h\n' >"$WORK/dlq.txt"
if grep -q '^not json|' "$WORK/dlq.txt" && grep -q '^{"broken":|' "$WORK/dlq.txt"; then
	ok "tolerance all: the bad records go to the DLQ with their original bytes"
else
	fail "tolerance all: the bad records go to the DLQ with their original bytes" \
		"$(cat "$WORK/dlq.txt")"
fi
h=$(grep '^not json|' "$WORK/dlq.txt")
if [[ $h == *"__connect.errors.topic=in"* && $h == *"__connect.errors.partition=0"* &&
	$h == *"__connect.errors.offset=2"* && $h == *"__connect.errors.connector.name=tolerant"* &&
	$h == *"__connect.errors.task.id=0"* && $h == *"__connect.errors.stage=VALUE_CONVERTER"* &&
	$h == *"__connect.errors.exception.message="* ]]; then
	ok "tolerance all: DLQ records carry the __connect.errors.* headers"
else
	fail "tolerance all: DLQ records carry the __connect.errors.* headers" "$h"
fi
if alive "$SLUICED_PID"; then ok "sluiced keeps running"; else fail "sluiced keeps running"; fi
stop_pid "$SLUICED_PID" TERM 20
finish
