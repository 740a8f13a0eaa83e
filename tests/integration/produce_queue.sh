#!/bin/bash
# tests/integration/produce_queue.sh: source records reach Kafka whole,
# once each and in order while librdkafka's producer queue keeps filling
# up (sluiced hands records to librdkafka in runs; a full queue takes the
# front of a run and refuses the rest, which sluiced offers again later),
# and a record librdkafka cannot take fails its task.
#
# 1. VerifiableSource (key "0": one partition), a producer queue of 64
#    records: 20,000 records of 100 bytes arrive with seqnos 0..19999 in
#    order, once each.
# 2. FileStreamSource (no key: librdkafka's partitioner spreads the
#    records over 4 partitions), the same queue: 20,000 lines arrive once
#    each, in order within each partition.
# 3. producer.message.max.bytes=2000 and records of 1,900 and of 2,500
#    bytes: the smaller ones arrive; a task of the larger ones is FAILED
#    naming librdkafka's error, and none of its records arrive.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic seq:1 --topic lines:4 --topic fits:1 --topic huge:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi

# records as "partition<TAB>key<TAB>value" lines
read_topic() { read_topic_bg "$1" "$2" '%p\t%k\t%s\n'; }

# check_order FILE N [KEY]: the values, read as the number they start
# with, are 0..N-1 (or 1..N) once each and increase within each partition;
# with KEY every record has that key
check_order() {
	python3 -c '
import sys
n, key = int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None
last, seen, bad = {}, set(), []
for line in open(sys.argv[1]):
    p, k, v = line.rstrip("\n").split("\t", 2)
    digits = v.rstrip(".")
    if (key is not None and k != key) or not digits.isdigit():
        bad.append("record %r" % line[:60])
        continue
    s = int(digits)
    if s in seen:
        bad.append("%d twice" % s)
    elif s < last.get(p, -1):
        bad.append("%d after %d in partition %s" % (s, last[p], p))
    seen.add(s)
    last[p] = s
first = min(seen) if seen else 0
missing = n - len(seen & set(range(first, first + n)))
if bad or missing:
    print("%d bad (%s), %d missing" % (len(bad), "; ".join(bad[:3]), missing))
    sys.exit(1)
print("%d records once each, in order in each of %d partition(s)" % (n, len(last)))
' "$@"
}

start_case() { # NAME CONNECTOR-FILE WORKER-LINES...
	local name=$1 conn=$2
	shift 2
	write_worker "$WORK/$name-worker.properties" \
		"sluice.state.dir=$WORK/state-$name" \
		"offset.storage.file.filename=$WORK/state-$name/offsets.json" "$@"
	start_sluiced "$name" standalone "$WORK/$name-worker.properties" "$conn" ||
		fail "$name: sluiced starts" "$(tail -n 20 "$WORK/$name.err")"
}

stop_case() { # NAME
	stop_pid "$SLUICED_PID" TERM 20 || fail "$1: sluiced stops cleanly" "$(tail -n 5 "$WORK/$1.err")"
}

# --- 1. keyed records, one partition ---------------------------------------
cat >"$WORK/seq.properties" <<EOF
name=seq
connector.class=VerifiableSource
topic=seq
record.size=100
throughput=-1
tasks.max=1
EOF
read_topic seq 20000
start_case seq "$WORK/seq.properties" "producer.queue.buffering.max.messages=64" \
	"value.converter=org.apache.kafka.connect.converters.ByteArrayConverter"
wait "$READER"
if out=$(check_order "$WORK/seq.recs" 20000 0); then
	ok "a queue of 64, keyed: $out"
else
	fail "a queue of 64, keyed: every record once, in order" "$out" "$(tail -n 3 "$WORK/kcat.err")"
fi
stop_case seq

# --- 2. records without a key, four partitions ------------------------------
seq 1 20000 >"$WORK/lines.txt"
cat >"$WORK/lines.properties" <<EOF
name=lines
connector.class=FileStreamSource
file=$WORK/lines.txt
topic=lines
EOF
read_topic lines 20000
start_case lines "$WORK/lines.properties" "producer.queue.buffering.max.messages=64"
wait "$READER"
if out=$(check_order "$WORK/lines.recs" 20000); then
	ok "a queue of 64, no key: $out"
else
	fail "a queue of 64, no key: every line once, in order per partition" "$out" \
		"$(tail -n 3 "$WORK/kcat.err")"
fi
stop_case lines

# --- 3. message.max.bytes ----------------------------------------------------
vs_conn() { # NAME TOPIC SIZE
	cat >"$WORK/$1.properties" <<EOF
name=$1
connector.class=VerifiableSource
topic=$2
record.size=$3
throughput=500
tasks.max=1
EOF
}
vs_conn fits fits 1900
vs_conn huge huge 2500
read_topic fits 200
write_worker "$WORK/max-worker.properties" \
	"sluice.state.dir=$WORK/state-max" \
	"offset.storage.file.filename=$WORK/state-max/offsets.json" \
	"producer.message.max.bytes=2000" \
	"value.converter=org.apache.kafka.connect.converters.ByteArrayConverter"
if start_sluiced max standalone "$WORK/max-worker.properties" \
	"$WORK/fits.properties" "$WORK/huge.properties"; then
	wait "$READER"
	if out=$(check_order "$WORK/fits.recs" 200 0); then
		ok "message.max.bytes=2000, records of 1,900 bytes: $out"
	else
		fail "message.max.bytes=2000, records of 1,900 bytes arrive" "$out" \
			"$(tail -n 3 "$WORK/kcat.err")"
	fi
	if wait_for_log "$WORK/max.err" \
		"SV-UNIT-FAILED task=0 conn=huge .*cannot produce a record to topic huge: .*too large" 15; then
		ok "records of 2,500 bytes: the task is FAILED naming the size"
	else
		fail "records of 2,500 bytes: the task is FAILED naming the size" \
			"$(grep -E 'huge' "$WORK/max.err" | tail -n 5)"
	fi
	n=$(timeout 10 kcat -b "$BOOTSTRAP" -C -t huge -o beginning -e -q 2>/dev/null | wc -l)
	check "none of the larger records is in Kafka" test "$n" -eq 0
	stop_case max
else
	fail "max: sluiced starts" "$(tail -n 20 "$WORK/max.err")"
	kill "$READER" 2>/dev/null
fi
finish
