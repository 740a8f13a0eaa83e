#!/bin/bash
# tests/integration/rest_offsets.sh: GET, PATCH and DELETE
# /connectors/{name}/offsets for a sink (the committed offsets of its
# consumer group connect-<name>) and a source (the offset file), shown by
# what the connectors then do: a FileStreamSource reads a file into a
# topic, a FileStreamSink writes the topic to a file, and moving their
# offsets back makes them read again exactly from there. Also: changes
# are refused while a connector runs (400) and while another offsets
# request holds it (409), and malformed offsets are refused with Kafka
# Connect's messages, changing nothing.
. "$(dirname "$0")/rest_lib.sh"

lib_init
require_cmd curl jq timeout
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/test-plugins/secret_source.so"

if ! rest_start sluiced "embedded.topics=lines:1"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
seq 1 20 >"$WORK/in.txt"
OUT=$WORK/out.txt

sink_offset_is() {
	curl -s -m 30 "$URL/connectors/sink/offsets" |
		jq -e --argjson o "$1" '.offsets == [{"partition":{"kafka_topic":"lines","kafka_partition":0},"offset":{"kafka_offset":$o}}]' \
			>/dev/null 2>&1
}

req POST /connectors '{"name":"src","config":{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"}}'
expect "the source is created" 201
req POST /connectors '{"name":"sink","config":{"connector.class":"FileStreamSink","file":"'$OUT'","topics":"lines"}}'
expect "the sink is created" 201
if wait_until 30 has_lines "$OUT" 20; then
	ok "the sink wrote the 20 lines"
else
	fail "the sink wrote the 20 lines" "$(lines "$OUT") lines"
fi
if wait_until 20 sink_offset_is 20; then
	ok "GET sink offsets: the group's committed offset, Kafka Connect's shape"
else
	fail "GET sink offsets: the group's committed offset, Kafka Connect's shape" \
		"$(curl -s "$URL/connectors/sink/offsets")"
fi
req GET /connectors/sink/topics
expect "the sink's active topic" 200 '. == {"sink":{"topics":["lines"]}}'

P0='{"kafka_topic":"lines","kafka_partition":0}'
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":'"$P0"',"offset":{"kafka_offset":15}}]}'
expect_error "alter a running sink: 400" 400 'must be in the STOPPED state'
req DELETE /connectors/sink/offsets
expect_error "reset a running sink: 400" 400 'must be in the STOPPED state'

req PUT /connectors/sink/stop
expect "stop the sink" 204

# an alter holds the connector until it is done: writes meanwhile get 409
curl -s -m 60 -o "$WORK/alter.body" -w '%{http_code}' -X PATCH \
	-H 'Content-Type: application/json' --data-binary \
	'{"offsets":[{"partition":'"$P0"',"offset":{"kafka_offset":15}}]}' \
	"$URL/connectors/sink/offsets" >"$WORK/alter.code" &
alter=$!
sleep 0.5
req PUT /connectors/sink/resume
expect_error "resume during an offsets change: 409" 409 'being reconfigured'
req DELETE /connectors/sink
expect_error "delete during an offsets change: 409" 409 'being reconfigured'
req GET /connectors/sink/status
expect "reads go on meanwhile" 200 '.connector.state == "STOPPED"'
wait "$alter"
CODE=$(cat "$WORK/alter.code")
RESP=$(cat "$WORK/alter.body")
expect "PATCH sink offsets when stopped: 200" 200 \
	'.message == "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."'
if sink_offset_is 15; then
	ok "GET shows the altered offset"
else
	fail "GET shows the altered offset" "$(curl -s "$URL/connectors/sink/offsets")"
fi
req PUT /connectors/sink/resume
expect "resume the sink" 202
if wait_until 30 has_lines "$OUT" 25 && [[ $(tail -n 5 "$OUT" | tr '\n' ' ') == "16 17 18 19 20 " ]]; then
	ok "the sink read again from offset 15"
else
	fail "the sink read again from offset 15" "$(lines "$OUT") lines" "$(tail -n 6 "$OUT")"
fi
sleep 1.5 # let it commit 20 (offset.flush.interval.ms=1000)

req PUT /connectors/sink/stop
expect "stop the sink again" 204
req DELETE /connectors/sink/offsets
expect "DELETE sink offsets: 200" 200 \
	'.message == "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."'
req GET /connectors/sink/offsets
expect "no sink offsets after a reset" 200 '. == {"offsets":[]}'
req PUT /connectors/sink/resume
if wait_until 30 has_lines "$OUT" 45 && ! has_lines "$OUT" 46; then
	ok "after the reset the sink read the topic from its start"
else
	fail "after the reset the sink read the topic from its start" "$(lines "$OUT") lines"
fi
sleep 1.5

req PUT /connectors/sink/stop
expect "stop the sink a third time" 204
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":3},"offset":{"kafka_offset":1}}]}'
expect_error "a partition the topic does not have: 400" 400 'partition 3 of topic lines'
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":{"kafka_topic":"lines"},"offset":{"kafka_offset":1}}]}'
expect_error "no kafka_partition: 400" 400 \
	"^The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'$"
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":'"$P0"',"offset":{"kafka_offset":"ten"}}]}'
expect_error "an offset that is not a number: 400" 400 "Failed to parse the following Kafka offset value in the provided offsets: 'ten'"
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":'"$P0"',"offset":{"position":1}}]}'
expect_error "an offset without kafka_offset: 400" 400 "should either be null or contain the key 'kafka_offset'"
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":'"$P0"',"offset":null}]}'
expect "a null offset resets that partition" 200 '.message | test("altered successfully")'
req GET /connectors/sink/offsets
expect "... so it has no offset any more" 200 '. == {"offsets":[]}'
req PATCH /connectors/sink/offsets '{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":"0"},"offset":{"kafka_offset":"20"}}]}'
expect "numbers given as strings, as Kafka Connect takes them" 200
if sink_offset_is 20; then
	ok "... are stored as numbers"
else
	fail "... are stored as numbers" "$(curl -s "$URL/connectors/sink/offsets")"
fi
req PUT /connectors/sink/resume
expect "resume the sink a third time" 202

# the source: read its file again from the start
req PUT /connectors/src/stop
expect "stop the source" 204
req PATCH /connectors/src/offsets '{"offsets":[{"partition":{"filename":"'$WORK'/in.txt"},"offset":{"position":0}}]}'
expect "PATCH the source's position to 0" 200 '.message | test("altered successfully")'
req PUT /connectors/src/resume
if wait_until 30 has_lines "$OUT" 65 && ! has_lines "$OUT" 66 &&
	[[ $(tail -n 20 "$OUT" | tr '\n' ' ') == "$(seq 1 20 | tr '\n' ' ')" ]]; then
	ok "the source read its file again, the sink wrote it once more"
else
	fail "the source read its file again, the sink wrote it once more" "$(lines "$OUT") lines"
fi
if wait_until 20 sink_offset_is 40; then
	ok "the sink's offset follows"
else
	fail "the sink's offset follows" "$(curl -s "$URL/connectors/sink/offsets")"
fi
if stop_pid "$SLUICED_PID" TERM 20; then
	ok "sluiced stops cleanly"
else
	fail "sluiced stops cleanly" "$(tail -n 20 "$LOG")"
fi

finish
