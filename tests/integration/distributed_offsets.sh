#!/bin/bash
# tests/integration/distributed_offsets.sh: source offsets in the offset
# topic, in Kafka Connect's format, both ways.
#
# 1. An offset written into the offset topic by another program (kcat,
#    Kafka Connect's key ["fsrc",{"filename":"<path>"}] and value
#    {"position":N}, in the partition Kafka's murmur2 partitioner picks)
#    while the cluster runs is picked up: a FileStreamSource created
#    afterwards starts at byte N, a line boundary in the middle of the
#    file; the topic receives exactly the lines after it.
# 2. After the connector ran and more lines were appended, its offset is
#    in the offset topic in that format, byte for byte as Kafka Connect's
#    JsonConverter writes it: key ["fsrc",{"filename":"<path>"}], value
#    {"position":<file size>}.
# 3. GET /connectors/fsrc/offsets on every member shows that offset.
. "$(dirname "$0")/dist_lib.sh"

DIST_BUDGET=90

dist_init
dist_devkafka --topic lines:1
OFFSETS=$DIST_GROUP-offsets
DIAG_CONNS=fsrc

dist_start 1 2 3 || finish

IN=$WORK/in.txt
seq 1 100 >"$IN"
N=$(head -n 50 "$IN" | wc -c) # the byte after line 50
KEY="[\"fsrc\",{\"filename\":\"$IN\"}]"
printf '%s\t%s\n' "$KEY" "{\"position\":$N}" |
	timeout 20 kcat -b "$BOOTSTRAP" -P -t "$OFFSETS" -K $'\t' \
		-X topic.partitioner=murmur2_random 2>"$WORK/kcat-p.err"
check "the offset is written to $OFFSETS with kcat" \
	eval "timeout 20 kcat -b $BOOTSTRAP -C -t $OFFSETS -e -q -f '%k\n' | grep -qxF '$KEY'"

# --- 1. picked up by a connector created afterwards ---------------------------------
dist_write any POST /connectors "{\"name\":\"fsrc\",\"config\":{\"connector.class\":\"FileStreamSource\",\"file\":\"$IN\",\"topic\":\"lines\"}}"
expect "create the FileStreamSource" 201
wait_check 30 "fsrc RUNNING" all_running_on 1 fsrc 1 1 2 3
lines_topic() { # FILE: the values of the topic "lines", one a line
	timeout 20 kcat -b "$BOOTSTRAP" -C -t lines -o beginning -e -q -f '%s\n' >"$1" 2>/dev/null
}
topic_has() { # N: the topic has at least N records
	lines_topic "$WORK/lines.txt" && (($(wc -l <"$WORK/lines.txt") >= $1))
}
wait_until 30 topic_has 50
PREV_COUNT=
wait_until 10 topic_settled lines "$WORK/lines.dump"
lines_topic "$WORK/lines.txt"
if cmp -s "$WORK/lines.txt" <(seq 51 100); then
	ok "the source started at byte $N: the topic holds lines 51..100 only"
else
	fail "the source started at byte $N: the topic holds lines 51..100 only" \
		"$(wc -l <"$WORK/lines.txt") records, first $(head -n 1 "$WORK/lines.txt"), last $(tail -n 1 "$WORK/lines.txt")" \
		"$(dist_diag)"
fi

# --- 2. written back in Kafka Connect's format ----------------------------------------
seq 101 120 >>"$IN"
SIZE=$(wc -c <"$IN")
wait_check 30 "the appended lines reach the topic" topic_has 70
# latest_offset: the value of the newest record with KEY in the offset
# topic (exactly as stored), in $WORK/offset.value.
latest_offset() {
	timeout 20 kcat -b "$BOOTSTRAP" -C -t "$OFFSETS" -o beginning -e -q \
		-f '%k\t%s\t%p\n' >"$WORK/offsets.dump" 2>/dev/null || return 1
	awk -F '\t' -v k="$KEY" '$1 == k { v = $2 } END { print v }' \
		"$WORK/offsets.dump" >"$WORK/offset.value"
	[[ $(cat "$WORK/offset.value") == "{\"position\":$SIZE}" ]]
}
if wait_until 20 latest_offset; then
	ok "the offset topic holds key $KEY, value {\"position\":$SIZE}, byte for byte"
else
	fail "the offset topic holds key $KEY, value {\"position\":$SIZE}, byte for byte" \
		"the newest value for that key: $(cat "$WORK/offset.value")" \
		"the topic's records (key, value, partition):" "$(tail -n 5 "$WORK/offsets.dump")"
fi
keys_ok() { # every key the cluster wrote for fsrc is exactly KEY
	awk -F '\t' '$1 ~ /fsrc/ { print $1 }' "$WORK/offsets.dump" | sort -u
}
if [[ $(keys_ok) == "$KEY" ]]; then
	ok "every fsrc key in the offset topic is $KEY"
else
	fail "every fsrc key in the offset topic is $KEY" "$(keys_ok)"
fi
murmur_partition() { # the partition Kafka's default partitioner gives KEY
	python3 "$(dirname "$0")/murmur2.py" "$KEY" 25
}
P=$(murmur_partition)
parts=$(awk -F '\t' -v k="$KEY" '$1 == k { print $3 }' "$WORK/offsets.dump" | sort -u | tr '\n' ' ')
if [[ $parts == "$P " ]]; then
	ok "the offsets are in partition $P of $OFFSETS, as Kafka's partitioner puts them"
else
	fail "the offsets are in partition $P of $OFFSETS, as Kafka's partitioner puts them" \
		"found in partitions: $parts"
fi

# --- 3. the REST view ------------------------------------------------------------
offsets_ok() {
	jq_on "$1" /connectors/fsrc/offsets --arg f "$IN" --argjson p "$SIZE" \
		'.offsets == [{"partition":{"filename":$f},"offset":{"position":$p}}]'
}
for n in 1 2 3; do
	wait_check 20 "GET /connectors/fsrc/offsets on member $n: position $SIZE" offsets_ok "$n"
done

for n in 1 2 3; do
	dist_stop "$n" TERM 20
done
finish
