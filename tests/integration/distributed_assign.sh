#!/bin/bash
# tests/integration/distributed_assign.sh: how a cluster of `sluiced
# distributed` members spreads the work, seen through the REST API and
# through the taskhost processes themselves.
#
# 1. Three members: GET / on each shows its own worker_id and the same
#    leader, one of them.
# 2. A VerifiableSource with tasks.max=6, created on a follower: 2/2/2
#    tasks per worker_id, all RUNNING; the same status on every member;
#    each member runs 2 task taskhosts.
# 3. A fourth member joins: 2/2/1/1, every member has a task.
# 4. A member stops cleanly (SIGTERM): it leaves the group at once (the
#    survivors start rebalancing within a second or two of its exit, not
#    after session.timeout.ms), its tasks are RUNNING on the others, 2/2/2
#    again, and the survivors agree on a leader. The time to 2/2/2 is
#    reported: the dev broker (librdkafka's mock coordinator) ends a
#    rebalance in which the member count changed only after
#    session.timeout.ms - 1 s (5 s here), so a clean leave takes about
#    5 to 6 s on it, and more when a member is slow to stop its tasks.
# The slots topic is left to its default name, <group.id>-slots.
. "$(dirname "$0")/dist_lib.sh"

DIST_BUDGET=120

DIST_SLOTS_KEY=0
dist_init
dist_devkafka --topic vs:3
DIAG_CONNS=vsrc

dist_start 1 2 3 || finish

# --- 1. membership --------------------------------------------------------
wait_check 10 "three members: each shows its worker_id and the same leader" \
	same_leader 1 2 3
find_leader 1
FOLLOWER=$F1

# --- 2. six tasks over three members -----------------------------------------
VSRC='{"connector.class":"VerifiableSource","topic":"vs","throughput":"5","tasks.max":"6"}'
dist_write "$FOLLOWER" POST /connectors "{\"name\":\"vsrc\",\"config\":$VSRC}"
if ! expect "POST /connectors on a follower (member $FOLLOWER): 201" 201 '.name == "vsrc"'; then
	dist_write any POST /connectors "{\"name\":\"vsrc\",\"config\":$VSRC}"
	expect "... POST /connectors through member $WROTE_VIA then: 201" 201
fi
wait_check 30 "6 tasks spread 2/2/2 over the three members, all RUNNING" \
	spread_is 1 vsrc "2 2 2" 1 2 3
wait_check 15 "the same status on every member" status_same vsrc 1 2 3
for n in 1 2 3; do
	expect_on "$n" "member $n lists the connector" GET /connectors 200 '. == ["vsrc"]'
done
taskhosts_match_status() { # MEMBER...: each runs what the status says
	local m st
	st=$(get_on 1 /connectors/vsrc/status)
	for m in "$@"; do
		[[ $(task_count "$m" vsrc) == $(jq --arg w "${MID[m]}" \
			'[.tasks[] | select(.worker_id == $w)] | length' <<<"$st") ]] || return 1
	done
}
wait_check 10 "each member runs the task taskhosts the status gives it" \
	taskhosts_match_status 1 2 3

# --- 3. a fourth member ----------------------------------------------------------
dist_start 4 || finish
if true; then
	wait_check 40 "a fourth member joins: 2/2/1/1, each member has a task" \
		spread_is 1 vsrc "2 2 1 1" 1 2 3 4
	wait_check 15 "... the same status on all four" status_same vsrc 1 2 3 4
	wait_check 15 "... the four agree on the leader" same_leader 1 2 3 4
	wait_check 10 "... each member runs the task taskhosts the status gives it" \
		taskhosts_match_status 1 2 3 4
fi

# --- 4. a clean stop ---------------------------------------------------------------
# the member to stop: one with two tasks, not the leader
LEADER=$(member_of_id "$(leader_of 1)")
VICTIM=
st=$(get_on 1 /connectors/vsrc/status)
for n in 1 2 3 4; do
	if [[ $n != "$LEADER" ]] && [[ $(jq --arg w "${MID[n]}" \
		'[.tasks[] | select(.worker_id == $w)] | length' <<<"$st") == 2 ]]; then
		VICTIM=$n
		break
	fi
done
VICTIM=${VICTIM:-$((LEADER % 4 + 1))}
REST=()
for n in 1 2 3 4; do
	[[ $n != "$VICTIM" ]] && REST+=("$n")
done
# rebalances the survivors have seen so far
rebalances() {
	local n c=0
	for n in "${REST[@]}"; do
		c=$((c + $(grep -c "SV-CLUSTER-REBALANCE" "${MLOG[n]}")))
	done
	echo "$c"
}
REB0=$(rebalances)
rebalanced() { (($(rebalances) > REB0)); }
t0=$(date +%s%N)
kill -TERM "${MPID[VICTIM]}"
if wait_until 20 dead "${MPID[VICTIM]}"; then
	t1=$(date +%s%N)
	# left the group: no waiting for the session timeout (6 s)
	if wait_until 3 rebalanced; then
		ok "member $VICTIM left the group: the others rebalance $((($(date +%s%N) - t1) / 1000000)) ms after its exit"
	else
		fail "member $VICTIM left the group: the others rebalance within 3 s of its exit" \
			"$(DIAG="${REST[*]}" dist_diag)"
	fi
fi
if wait_until 30 spread_is "${REST[0]}" vsrc "2 2 2" "${REST[@]}"; then
	ok "member $VICTIM stops (SIGTERM): its tasks RUNNING elsewhere, 2/2/2, in $((($(date +%s%N) - t0) / 1000000)) ms"
else
	fail "member $VICTIM stops (SIGTERM): its tasks RUNNING elsewhere, 2/2/2, within 30 s" \
		"$(DIAG="${REST[*]}" dist_diag)"
fi
if wait_until 1 dead "${MPID[VICTIM]}"; then
	wait "${MPID[VICTIM]}"
	rc=$?
	if [[ $rc == 0 ]]; then
		ok "member $VICTIM exits 0 after SIGTERM"
	else
		fail "member $VICTIM exits 0 after SIGTERM" "exit $rc" "$(tail -n 10 "${MLOG[VICTIM]}")"
	fi
else
	fail "member $VICTIM exits within 20 s of SIGTERM" "$(tail -n 10 "${MLOG[VICTIM]}")"
fi
if [[ -z $(member_taskhosts "$VICTIM") ]]; then
	ok "member $VICTIM left no taskhost behind"
else
	fail "member $VICTIM left no taskhost behind" "$(member_taskhosts "$VICTIM")"
fi
wait_check 15 "the three left show the same status" status_same vsrc "${REST[@]}"
wait_check 15 "the three left show their worker_id and agree on a leader among them" \
	same_leader "${REST[@]}"

for n in "${REST[@]}"; do
	dist_stop "$n" TERM 20
done
finish
