#!/bin/bash
# tests/integration/devkafka.sh: black-box test of sluice-devkafka with
# kcat: bootstrap file and stdout, pre-created topics, produce and consume,
# brokers down (SIGUSR1) and up (SIGUSR2), clean exit on SIGTERM/SIGINT,
# and bad options.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout
require_file "$BUILD/sluice-devkafka"

TOPIC=sluice-devkafka-test
KCAT_PRODUCE=(-X message.timeout.ms=5000 -X socket.timeout.ms=3000)

# produce FILE: sends FILE's lines to $TOPIC; fails if any is not acked.
produce() {
	timeout 20 kcat -b "$BOOTSTRAP" -P -t "$TOPIC" "${KCAT_PRODUCE[@]}" \
		-l "$1"
}

# consume FILE: reads every record of $TOPIC, sorted (partitions
# interleave), into FILE.
consume() {
	timeout 20 kcat -b "$BOOTSTRAP" -C -t "$TOPIC" -o beginning -e -q |
		sort >"$1"
	[[ ${PIPESTATUS[0]} -eq 0 ]]
}

# same FILE1 FILE2: compares, showing the first differences.
same() {
	cmp -s "$1" "$2" && return 0
	echo "$(wc -l <"$1") vs $(wc -l <"$2") lines"
	diff "$1" "$2" | head -n 5
	return 1
}

if ! start_devkafka --brokers 3 --topic "$TOPIC:3"; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
ok "devkafka starts"

if [[ $BOOTSTRAP =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2}$ ]] &&
	[[ $(wc -l <"$WORK/devkafka.bootstrap") -eq 1 ]]; then
	ok "bootstrap file holds three brokers and a newline"
else
	fail "bootstrap file holds three brokers and a newline" "got '$BOOTSTRAP'"
fi

if wait_until 5 test -s "$WORK/devkafka.out" &&
	[[ $(cat "$WORK/devkafka.out") == "$BOOTSTRAP" ]]; then
	ok "stdout is the bootstrap address"
else
	fail "stdout is the bootstrap address" "stdout: $(cat "$WORK/devkafka.out")"
fi

if ls "$WORK" | grep -q 'devkafka.bootstrap\.'; then
	fail "no temporary bootstrap file left" "$(ls "$WORK")"
else
	ok "no temporary bootstrap file left"
fi

if wait_for_log "$WORK/devkafka.err" 'WARN SV-DEVKAFKA-MEMORY .*memory' 5; then
	ok "warns that data is in memory only"
else
	fail "warns that data is in memory only" "$(cat "$WORK/devkafka.err")"
fi

meta=$(timeout 15 kcat -b "$BOOTSTRAP" -L -t "$TOPIC" -m 5 2>&1)
if grep -q "topic \"$TOPIC\" with 3 partitions" <<<"$meta" &&
	[[ $(grep -c '^  broker ' <<<"$meta") -eq 3 ]]; then
	ok "metadata shows 3 brokers and the pre-created 3 partitions"
else
	fail "metadata shows 3 brokers and the pre-created 3 partitions" "$meta"
fi

seq -f 'record-%03g' 1 100 >"$WORK/sent"
check "produce 100 records" produce "$WORK/sent"

if consume "$WORK/got" && same <(sort "$WORK/sent") "$WORK/got" >"$WORK/why"; then
	ok "consume the 100 records back"
else
	fail "consume the 100 records back" "$(cat "$WORK/why")"
fi

kill -USR1 "$DEVKAFKA_PID"
if wait_for_log "$WORK/devkafka.err" 'SV-DEVKAFKA-DOWN' 5; then
	ok "SIGUSR1 takes the brokers down"
else
	fail "SIGUSR1 takes the brokers down" "$(tail -n 5 "$WORK/devkafka.err")"
fi

# With every broker refusing connections, kcat either gives up (all
# brokers down) or its message times out after 5 s; timeout(1) is the
# backstop. Any non-zero status is the expected failure.
echo "lost-while-down" >"$WORK/down"
if produce "$WORK/down" >"$WORK/down.log" 2>&1; then
	fail "produce fails while the brokers are down" "$(cat "$WORK/down.log")"
else
	ok "produce fails while the brokers are down"
fi
if timeout 15 kcat -b "$BOOTSTRAP" -L -m 2 >"$WORK/down.meta" 2>&1; then
	fail "metadata fails while the brokers are down" "$(cat "$WORK/down.meta")"
else
	ok "metadata fails while the brokers are down"
fi
if alive "$DEVKAFKA_PID"; then
	ok "devkafka keeps running with the brokers down"
else
	fail "devkafka keeps running with the brokers down"
fi

kill -USR2 "$DEVKAFKA_PID"
if wait_for_log "$WORK/devkafka.err" 'SV-DEVKAFKA-UP' 5; then
	ok "SIGUSR2 brings the brokers up"
else
	fail "SIGUSR2 brings the brokers up" "$(tail -n 5 "$WORK/devkafka.err")"
fi

seq -f 'after-%03g' 1 10 >"$WORK/sent2"
check "produce works again after SIGUSR2" produce "$WORK/sent2"

if consume "$WORK/got2" &&
	same <(sort "$WORK/sent" "$WORK/sent2") "$WORK/got2" >"$WORK/why"; then
	ok "all 110 records are there, the lost one is not"
else
	fail "all 110 records are there, the lost one is not" "$(cat "$WORK/why")"
fi

stop_pid "$DEVKAFKA_PID" TERM 10
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "SIGTERM exits 0"
else
	fail "SIGTERM exits 0" "exit status $rc" "$(tail -n 5 "$WORK/devkafka.err")"
fi
if [[ -s $WORK/devkafka.bootstrap ]]; then
	ok "the bootstrap file is left in place"
else
	fail "the bootstrap file is left in place"
fi

# Without a bootstrap file: stdout only; SIGINT stops it too.
spawn devkafka2 "$BUILD/sluice-devkafka" --brokers 1 --topic a:1:1
pid=$SPAWNED_PID
if wait_until 10 test -s "$WORK/devkafka2.out" &&
	grep -Eq '^127\.0\.0\.1:[0-9]+$' "$WORK/devkafka2.out"; then
	ok "one broker, address on stdout"
else
	fail "one broker, address on stdout" "$(cat "$WORK/devkafka2.out" "$WORK/devkafka2.err")"
fi
stop_pid "$pid" INT 10
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "SIGINT exits 0"
else
	fail "SIGINT exits 0" "exit status $rc"
fi

# Bad options fail at once, with status 2 and a message naming the
# problem.
bad_option() {
	local want=$1 out rc
	shift
	out=$(timeout 10 "$BUILD/sluice-devkafka" "$@" 2>&1 </dev/null)
	rc=$?
	if [[ $rc -eq 2 ]] && grep -qF -- "$want" <<<"$out"; then
		ok "rejects $*"
	else
		fail "rejects $*" "exit $rc, output: $out"
	fi
}
bad_option "expected NAME:PARTITIONS[:REPLICATION]" --topic nopartitions
bad_option "the partition count must be 1 to" --topic t:0
bad_option "the replication factor must be 1 to 3" --topic t:1:4
bad_option "may contain only" --topic 'bad/name:1'
bad_option "given twice" --topic t:1 --topic t:2
bad_option "expected a number from 1 to" --brokers 0
bad_option "unexpected argument" stray

finish
