#!/bin/bash
# tests/integration/distributed_bounce.sh: Kafka Connect's bounce system
# test (connect_distributed_test.py, test_bounce) on three members.
#
# A VerifiableSource (3 tasks, 100 records/s each) writes to a topic that
# a VerifiableSink (tasks.max=3) writes to a file. Then rolling restarts of
# every member: stop one, start it again, wait until both connectors and
# their tasks are RUNNING over the three members and each member runs
# taskhosts again, next one.
#
# 1. CLEAN_ROUNDS (3) rounds with SIGTERM: every member exits 0, and the
#    topic holds each source task's seqnos from 0 on exactly once.
# 2. HARD_ROUNDS (3) rounds with SIGKILL (the killed member's taskhosts
#    exit by themselves).
# 3. The source paused and the sink caught up: per source task, no seqno
#    missing from 0 to the last (duplicates allowed after the hard
#    bounces), and the sink file has every record of the topic (every
#    offset of every partition).
. "$(dirname "$0")/dist_lib.sh"

DIST_BUDGET=170

CLEAN_ROUNDS=${CLEAN_ROUNDS:-3}
HARD_ROUNDS=${HARD_ROUNDS:-3}
# a member killed by SIGKILL is noticed after the session timeout: keep
# it short so that nine hard bounces fit in the time
DIST_SESSION_MS=4000
dist_init
dist_devkafka --topic bounce:3
DIAG_CONNS="vsrc vsink"
T0=$SECONDS

dist_start 1 2 3 || finish

SINK_FILE=$WORK/sink.txt
pipeline_start bounce 100 300

# bounce SIGNAL ROUNDS: rolling restarts; returns 1 (after a failed case)
# if the cluster does not come back.
bounce() {
	local sig=$1 rounds=$2 r n rc t0 times=()
	for ((r = 1; r <= rounds; r++)); do
		for n in 1 2 3; do
			t0=$SECONDS
			kill -"$sig" "${MPID[n]}"
			if ! wait_until 20 dead "${MPID[n]}"; then
				fail "$sig round $r: member $n exits" "$(tail -n 10 "${MLOG[n]}")"
				return 1
			fi
			{ wait "${MPID[n]}"; } 2>/dev/null
			rc=$?
			if [[ $sig == TERM && $rc != 0 ]]; then
				fail "$sig round $r: member $n exits 0" "exit $rc" \
					"$(tail -n 10 "${MLOG[n]}")"
			fi
			if ! wait_until 5 no_taskhosts "" "$n"; then
				fail "$sig round $r: member $n's taskhosts exit" \
					"$(member_units "$n" | tr '\n' ' ')"
			fi
			dist_start "$n" || return 1
			if ! wait_until 60 cluster_ok; then
				fail "$sig round $r: after member $n restarts, everything RUNNING again within 60 s" \
					"$(dist_diag)"
				return 1
			fi
			times+=($((SECONDS - t0)))
		done
	done
	ok "$rounds rounds of rolling restarts with SIG$sig, RUNNING again after each (seconds: ${times[*]})"
}

# --- 1. clean bounces ---------------------------------------------------------
bounce TERM "$CLEAN_ROUNDS" || finish
topic_dump bounce "$WORK/topic.clean"
if seq_check "$WORK/topic.clean" 3 nodup >"$WORK/verdict.clean" 2>&1; then
	ok "after the clean bounces: each seqno exactly once, no gap ($(cat "$WORK/verdict.clean"))"
else
	fail "after the clean bounces: each seqno exactly once, no gap" "$(cat "$WORK/verdict.clean")"
fi

# --- 2. hard bounces ------------------------------------------------------------
bounce KILL "$HARD_ROUNDS" || finish

# --- 3. the final count -----------------------------------------------------------
dist_write any PUT /connectors/vsrc/pause
expect "pause the source" 202
wait_check 30 "the source's tasks PAUSED on every member" on_all state_on 1 2 3 -- vsrc PAUSED 3
PREV_COUNT=
if ! wait_until 30 topic_settled bounce "$WORK/topic.final"; then
	fail "the topic stops growing once the source is paused" "$(wc -l <"$WORK/topic.final") records"
fi
if seq_check "$WORK/topic.final" 3 dup >"$WORK/verdict.final" 2>&1; then
	ok "after the hard bounces: no seqno missing in the topic ($(cat "$WORK/verdict.final"))"
else
	fail "after the hard bounces: no seqno missing in the topic" "$(cat "$WORK/verdict.final")"
fi
if wait_until 60 sink_has_all "$WORK/topic.final" "$SINK_FILE" bounce; then
	ok "the sink file has every record of the topic ($(sink_check "$WORK/topic.final" "$SINK_FILE" bounce))"
else
	fail "the sink file has every record of the topic (within 60 s)" \
		"$(sink_check "$WORK/topic.final" "$SINK_FILE" bounce)" "$(dist_diag)"
fi
for n in 1 2 3; do
	dist_stop "$n" TERM 20
done
echo "# took $((SECONDS - T0)) s"
finish
