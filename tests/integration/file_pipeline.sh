#!/bin/bash
# tests/integration/file_pipeline.sh: FileStreamSource -> Kafka ->
# FileStreamSink through real taskhosts and the dev broker.
#
# 1. 10,000 lines appended to the source file arrive in the sink file in
#    order; sluiced is stopped with SIGTERM in the middle and started
#    again: every line arrives exactly once.
# 2. The offsets file holds Kafka Connect's key shape and the position of
#    the last line.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic lines:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi

IN=$WORK/in.txt
OUT=$WORK/out.txt
write_worker "$WORK/worker.properties"
cat >"$WORK/source.properties" <<EOF
name=file-source
connector.class=FileStreamSource
file=$IN
topic=lines
EOF
cat >"$WORK/sink.json" <<EOF
{"name": "file-sink", "config": {
  "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
  "file": "$OUT", "topics": "lines"}}
EOF
: >"$IN"

# append FROM TO: appends lines FROM..TO to the source file in chunks
# of 250, 0.1 s apart, as a writer would: the stream is still flowing
# when sluiced is stopped.
append() {
	local i
	for ((i = $1; i <= $2; i += 250)); do
		seq "$i" $((i + 249 > $2 ? $2 : i + 249)) >>"$IN"
		sleep 0.1
	done
}

if ! start_sluiced sluiced1 standalone "$WORK/worker.properties" \
	"$WORK/source.properties" "$WORK/sink.json"; then
	fail "sluiced starts" "$(tail -n 30 "$WORK/sluiced1.err")"
	finish
fi
ok "sluiced starts with a properties and a JSON connector file"

append 1 10000 &
APPENDER=$!
if wait_until 30 has_lines "$OUT" 2000; then
	ok "lines flow from the source file to the sink file"
else
	fail "lines flow from the source file to the sink file" \
		"$(lines "$OUT") lines after 30 s" "$(tail -n 20 "$WORK/sluiced1.err")"
fi

stop_pid "$SLUICED_PID" TERM 20
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "SIGTERM stops sluiced with status 0"
else
	fail "SIGTERM stops sluiced with status 0" "status $rc" \
		"$(tail -n 20 "$WORK/sluiced1.err")"
fi
if [[ -n $(my_taskhosts) ]]; then
	fail "no taskhost is left after a clean stop"
else
	ok "no taskhost is left after a clean stop"
fi

stopped_at=$(lines "$OUT")
wait "$APPENDER"
# the config store brings both connectors back without the files
if ! start_sluiced sluiced2 standalone "$WORK/worker.properties"; then
	fail "sluiced restarts from its config store" \
		"$(tail -n 30 "$WORK/sluiced2.err")"
	finish
fi
if grep -q "SV-CONNECTOR-RESTORED.*file-source" "$WORK/sluiced2.err" &&
	grep -q "SV-CONNECTOR-RESTORED.*file-sink" "$WORK/sluiced2.err"; then
	ok "sluiced restarts from its config store"
else
	fail "sluiced restarts from its config store" "$(head -n 30 "$WORK/sluiced2.err")"
fi

if wait_until 60 has_lines "$OUT" 10000; then
	ok "all 10000 lines arrive after the restart"
else
	fail "all 10000 lines arrive after the restart" \
		"$(lines "$OUT") lines after 60 s"
fi
sleep 1.5 # anything extra would show up now
seq 1 10000 >"$WORK/expected.txt"
if cmp -s "$WORK/expected.txt" "$OUT"; then
	ok "every line exactly once and in order across a clean restart (stopped at $stopped_at)"
else
	fail "every line exactly once and in order across a clean restart" \
		"$(lines "$OUT") lines, $(sort "$OUT" | uniq -d | wc -l) duplicated, stopped at $stopped_at" \
		"$(diff "$WORK/expected.txt" "$OUT" | head -n 8)"
fi

stop_pid "$SLUICED_PID" TERM 20
offsets=$(cat "$WORK/state/offsets.json")
want="[\"file-source\",{\"filename\":\"$IN\"}]"
size=$(stat -c %s "$IN")
if grep -qF "\"key\":$want" <<<"$offsets" &&
	grep -qF "\"value\":{\"position\":$size}" <<<"$offsets"; then
	ok "the offsets file has Kafka Connect's key and the final position"
else
	fail "the offsets file has Kafka Connect's key and the final position" \
		"$offsets" "expected key $want and position $size"
fi

finish
