#!/bin/bash
# tests/integration/key_partitions.sh: a source record with a key lands in
# the partition Kafka's (Java's) default partitioner gives its key, and the
# records of one key keep their order.
#
# sluiced partitions runs of keyed records itself (sv_source.c) by the
# partition count librdkafka last partitioned the topic with; librdkafka
# partitions every other record. Both must agree with murmur2:
# 1. VerifiableSource, 3 tasks: each task's key is its id, so every run of
#    records goes to one partition (sluiced names it).
# 2. VerifiableSource with key.modulo=50: the keys of consecutive records
#    spread (librdkafka partitions most runs, sluiced the runs whose keys
#    share a partition).
# Each record's partition is murmur2(key) mod 5 (the topics have 5), and
# the seqnos of one key follow each other without a gap: +1 per record of
# a task (1), +50 per record of a key (2).
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

N=60000
if ! start_devkafka --brokers 1 --topic tasks:5 --topic spread:5; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
write_worker "$WORK/worker.properties"
cat >"$WORK/tasks.properties" <<EOF
name=vs-tasks
connector.class=VerifiableSource
tasks.max=3
topic=tasks
throughput=20000
EOF
cat >"$WORK/spread.properties" <<EOF
name=vs-spread
connector.class=VerifiableSource
topic=spread
throughput=60000
key.modulo=50
EOF

# read while the records are produced (the dev broker keeps only the
# last few MiB of a partition)
timeout 60 kcat -b "$BOOTSTRAP" -C -t tasks -o beginning -c "$N" -q \
	-f '%p %k %s\n' >"$WORK/tasks.recs" 2>"$WORK/kcat-tasks.err" &
R1=$!
timeout 60 kcat -b "$BOOTSTRAP" -C -t spread -o beginning -c "$N" -q \
	-f '%p %k %s\n' >"$WORK/spread.recs" 2>"$WORK/kcat-spread.err" &
R2=$!
if ! start_sluiced sluiced standalone "$WORK/worker.properties" \
	"$WORK/tasks.properties" "$WORK/spread.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
wait "$R1" "$R2"
stop_pid "$SLUICED_PID"

# check.py FILE MODE DIR: MODE tasks (key = task id, seqnos +1 per key) or
# spread (key = seqno mod 50, seqnos +50 per key)
cat >"$WORK/check.py" <<'EOF'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[3])
from murmur2 import partition
step = 1 if sys.argv[2] == "tasks" else 50
n, wrong, order, last, parts = 0, [], [], {}, set()
for line in open(sys.argv[1]):
    p, k, s = line.split()
    n += 1
    parts.add(int(p))
    want = partition(k.encode(), 5)
    if int(p) != want and len(wrong) < 5:
        wrong.append("key %s in partition %s, not %d" % (k, p, want))
    prev = last.get(k)
    if prev is not None and int(s) != prev + step and len(order) < 5:
        order.append("key %s: seqno %s after %d" % (k, s, prev))
    last[k] = int(s)
print(n, len(last), len(parts), "; ".join(wrong + order) or "ok")
EOF
for mode in tasks spread; do
	read -r n keys parts verdict < <(python3 "$WORK/check.py" \
		"$WORK/$mode.recs" "$mode" "$(dirname "$0")")
	want_keys=3
	[[ $mode == spread ]] && want_keys=50
	check "$mode: $N records read" test "$n" -eq "$N"
	check "$mode: $want_keys keys" test "$keys" -eq "$want_keys"
	if [[ $mode == spread ]]; then
		check "spread: the keys reach all 5 partitions" test "$parts" -eq 5
	fi
	if [[ $verdict == ok ]]; then
		ok "$mode: every record in its key's murmur2 partition, each key's seqnos in order without a gap"
	else
		fail "$mode: every record in its key's murmur2 partition, each key's seqnos in order without a gap" "$verdict"
	fi
done
finish
