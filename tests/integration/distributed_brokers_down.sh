#!/bin/bash
# tests/integration/distributed_brokers_down.sh: every broker goes away
# for 10 s under a running cluster, then comes back.
#
# A VerifiableSource (3 tasks, 50 records/s each) writes to a topic that a
# VerifiableSink (tasks.max=3) writes to a file, on three members. The dev
# broker takes all its brokers down (SIGUSR1) for 10 s, longer than the
# session timeout, then brings them back (SIGUSR2).
#
# 1. No member exits meanwhile.
# 2. The cluster recovers by itself: within 60 s both connectors and all
#    tasks are RUNNING over the three members as each shows, each member
#    runs taskhosts, and within 30 s more every source task produces
#    records past where it was before the outage and the sink file gets
#    records of every partition past the topic's end then.
# 3. Nothing is lost: with the source paused and the sink caught up, no
#    seqno of any source task is missing in the topic (duplicates
#    allowed) and the sink file has every record of the topic.
. "$(dirname "$0")/dist_lib.sh"

DIST_BUDGET=150

dist_init
dist_devkafka --topic data:3
DIAG_CONNS="vsrc vsink"
SINK_FILE=$WORK/sink.txt

dist_start 1 2 3 || finish
pipeline_start data 50 200

# --- 1. the outage --------------------------------------------------------
topic_dump data "$WORK/topic.before"
kill -USR1 "$DEVKAFKA_PID"
t_down=$SECONDS
# the outage lasts 10 s on purpose; meanwhile watch that no member exits
all_alive() {
	alive "${MPID[1]}" && alive "${MPID[2]}" && alive "${MPID[3]}"
}
survived=yes
while ((SECONDS - t_down < 10)); do
	all_alive || survived=no
	sleep 0.2
done
kill -USR2 "$DEVKAFKA_PID"
before=$(lines "$SINK_FILE")
t_up=$SECONDS
if [[ $survived == yes ]] && all_alive; then
	ok "every member keeps running while the brokers are down for 10 s"
else
	fail "every member keeps running while the brokers are down for 10 s" "$(dist_diag)"
fi

# --- 2. recovery -------------------------------------------------------------
flowing() { # every source task and every sink partition moved on
	topic_dump data "$WORK/topic.now" &&
		moved_on "$WORK/topic.before" "$WORK/topic.now" "$SINK_FILE" data >"$WORK/lag" 2>&1
}
if wait_until 60 cluster_ok && wait_until 30 flowing; then
	ok "the cluster recovers by itself: all RUNNING over the three members, every source task and sink partition moves on ($((SECONDS - t_up)) s after the brokers came back)"
else
	fail "the cluster recovers by itself within 90 s of the brokers coming back" \
		"sink file: $before lines then, $(lines "$SINK_FILE") now" "$(cat "$WORK/lag")" "$(dist_diag)"
fi

# --- 3. nothing lost ----------------------------------------------------------
dist_write any PUT /connectors/vsrc/pause
expect "pause the source" 202
wait_check 30 "the source's tasks PAUSED on every member" on_all state_on 1 2 3 -- vsrc PAUSED 3
PREV_COUNT=
if ! wait_until 30 topic_settled data "$WORK/topic.final"; then
	fail "the topic stops growing once the source is paused" "$(wc -l <"$WORK/topic.final") records"
fi
if seq_check "$WORK/topic.final" 3 dup >"$WORK/verdict" 2>&1; then
	ok "no seqno missing in the topic ($(cat "$WORK/verdict"))"
else
	fail "no seqno missing in the topic" "$(cat "$WORK/verdict")"
fi
if wait_until 60 sink_has_all "$WORK/topic.final" "$SINK_FILE" data; then
	ok "the sink file has every record of the topic ($(sink_check "$WORK/topic.final" "$SINK_FILE" data))"
else
	fail "the sink file has every record of the topic (within 60 s)" \
		"$(sink_check "$WORK/topic.final" "$SINK_FILE" data)" "$(dist_diag)"
fi
for n in 1 2 3; do
	dist_stop "$n" TERM 20
done
finish
