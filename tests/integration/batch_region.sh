#!/bin/bash
# tests/integration/batch_region.sh: source batches travel through the
# task's batch region (shared memory, protocol/PROTOCOL.md SOURCE_SHARED)
# and arrive in Kafka exactly as produced, whichever way they go.
#
# 1. Default worker: a source taskhost gets --batch-region and its
#    descriptor is not left open in the task; the first 20,000
#    VerifiableSource records of 300 bytes arrive with seqnos 0..19999
#    once each, each value its seqno padded to 300 bytes.
# 2. Records of 200,000 bytes through the region, over librdkafka's
#    message.copy.max.bytes (librdkafka sends them from sluiced's copy of
#    the frame without copying them again): all arrive, whole.
# 3. Records larger than a slot (sluice.batch.max.bytes=1024: a slot of
#    65 KiB; records of 100,000 bytes) outgrow it and go through the
#    socket: all arrive, whole.
# 4. sluice.batch.shared.memory=false: no region, records arrive.
# 5. A bad value for the key is refused at start with a clear error.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic small:1 --topic large:1 --topic big:1 --topic plain:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi

# check_topic TOPIC N SIZE: N records, key "0", values = seqno 0..N-1
# each once, padded with '.' to SIZE bytes
check_topic() {
	python3 -c '
import sys
n, size = int(sys.argv[2]), int(sys.argv[3])
seen, bad = set(), []
for line in open(sys.argv[1]):
    k, ln, v = line.rstrip("\n").split("\t", 2)
    s = v.rstrip(".")
    if k != "0" or int(ln) != size or len(v) != size or not s.isdigit():
        bad.append(line[:80])
        continue
    seen.add(int(s))
missing = n - len(seen & set(range(n)))
if bad or missing:
    print("%d records with another key or value, %d seqnos missing %s" %
          (len(bad), missing, bad[:3]))
    sys.exit(1)
print("%d records, seqnos 0..%d once each, %d bytes each" % (n, n - 1, size))
' "$WORK/$1.recs" "$2" "$3"
}

vs() { # NAME TOPIC SIZE THROUGHPUT
	cat >"$WORK/$1.properties" <<EOC
name=$1
connector.class=VerifiableSource
topic=$2
record.size=$3
throughput=$4
tasks.max=1
EOC
}

run_case() { # NAME TOPIC SIZE COUNT RATE WANT_REGION WORKER-LINES...
	local name=$1 topic=$2 size=$3 count=$4 rate=$5 want=$6 out pid args
	shift 6
	write_worker "$WORK/$name-worker.properties" \
		"sluice.state.dir=$WORK/state-$name" \
		"offset.storage.file.filename=$WORK/state-$name/offsets.json" \
		"value.converter=org.apache.kafka.connect.converters.ByteArrayConverter" \
		"$@"
	vs "$name" "$topic" "$size" "$rate"
	read_topic_bg "$topic" "$count" '%k\t%S\t%s\n' # key, size, value
	if ! start_sluiced "$name" standalone "$WORK/$name-worker.properties" \
		"$WORK/$name.properties"; then
		fail "$name: sluiced starts" "$(tail -n 20 "$WORK/$name.err")"
		kill "$READER" 2>/dev/null
		return
	fi
	wait_until 20 eval "[[ -n \$(task_pid '$WORK/$name.err' $name 0) ]]"
	pid=$(task_pid "$WORK/$name.err" "$name" 0)
	args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
	if [[ $want == yes && $args == *"--batch-region "* ]]; then
		local reg=${args##*--batch-region }
		ok "$name: the source taskhost is given a batch region (slots:bytes ${reg%% *})"
	elif [[ $want == no && -n $args && $args != *"--batch-region"* ]]; then
		ok "$name: no batch region"
	else
		fail "$name: batch region $want" "taskhost $pid: $args"
	fi
	if [[ $want == yes ]]; then
		# every process of the task: no descriptor of the region left
		local p leaked=
		for p in $(pgrep -f -- "--task-dir $WORK/state-$name/tasks/$name-0"); do
			ls -l "/proc/$p/fd" 2>/dev/null | grep -q 'memfd:sluice-batches' &&
				leaked="$leaked $p"
		done
		if [[ -z $leaked ]]; then
			ok "$name: no process of the task keeps the region's descriptor"
		else
			fail "$name: no process of the task keeps the region's descriptor" "$leaked"
		fi
	fi
	wait "$READER"
	if out=$(check_topic "$topic" "$count" "$size"); then
		ok "$name: $out"
	else
		fail "$name: every record arrives whole" "$out" "$(tail -n 3 "$WORK/kcat.err")" \
			"$(grep -E ' (WARN|ERROR) ' "$WORK/$name.err" | tail -n 5)"
	fi
	stop_pid "$SLUICED_PID" TERM 20 || fail "$name: sluiced stops cleanly" "$(tail -n 5 "$WORK/$name.err")"
}

run_case region small 300 20000 10000 yes
run_case large large 200000 60 30 yes
run_case outgrown big 100000 60 30 yes "sluice.batch.max.bytes=1024"
run_case socket plain 300 5000 5000 no "sluice.batch.shared.memory=false"

write_worker "$WORK/bad-worker.properties" "sluice.batch.shared.memory=yes"
vs bad plain 10 10
"$BUILD/sluiced" standalone "$WORK/bad-worker.properties" "$WORK/bad.properties" \
	>"$WORK/bad.out" 2>"$WORK/bad.err" &
pid=$!
if wait_until 10 dead "$pid" && ! wait "$pid" &&
	grep -q 'invalid value "yes" for sluice.batch.shared.memory: expected true or false' "$WORK/bad.err"; then
	ok "sluice.batch.shared.memory=yes: refused at start with a clear error"
else
	fail "sluice.batch.shared.memory=yes: refused at start with a clear error" "$(tail -n 3 "$WORK/bad.err")"
	kill "$pid" 2>/dev/null
fi
finish
