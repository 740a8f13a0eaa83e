#!/bin/bash
# tests/integration/distributed_failover.sh: a cluster of three members
# when one dies, when all restart, and when writes go through followers.
#
# 1. kill -9 of a follower, then (after it is back) of the leader: the
#    dead member's tasks are RUNNING on the others within 30 s (session
#    timeout 6 s + a rebalance), with the survivors' worker ids in the
#    status of every survivor; after the leader's death the survivors
#    agree on a new leader among them.
# 2. A pause survives a full restart: paused, all members stopped and
#    started again, the connector and its tasks are PAUSED on every member
#    and the source's topic does not grow.
# 3. Resume and a config change (tasks.max 3 -> 2, throughput) sent to a
#    follower reach every member: GET .../config on each shows them, and
#    each shows 2 RUNNING tasks.
# 4. A connector deleted through a follower disappears from every
#    member's list (status 404) and no taskhost of it is left on any
#    member; the other connector keeps running.
. "$(dirname "$0")/dist_lib.sh"

DIST_BUDGET=170

dist_init
dist_devkafka --topic vs:3 --topic other:1
DIAG_CONNS="vsrc other"

dist_start 1 2 3 || finish
wait_check 10 "three members: each shows its worker_id and the same leader" \
	same_leader 1 2 3

VSRC='{"connector.class":"VerifiableSource","topic":"vs","throughput":"10","tasks.max":"3"}'
OTHER='{"connector.class":"VerifiableSource","topic":"other","throughput":"5","tasks.max":"1"}'
dist_write any POST /connectors "{\"name\":\"vsrc\",\"config\":$VSRC}"
expect "create vsrc (3 tasks)" 201
dist_write any POST /connectors "{\"name\":\"other\",\"config\":$OTHER}"
expect "create other (1 task)" 201
wait_check 30 "vsrc: 3 tasks RUNNING, one per member" spread_is 1 vsrc "1 1 1" 1 2 3
wait_check 30 "other: RUNNING" all_running_on 1 other 1 1 2 3

# --- 1. kill -9 ----------------------------------------------------------------
# kill_member N REST...: kill -9 of member N; its tasks must be RUNNING on
# the members REST within 30 s, as every one of them sees it.
both_running() { # MEMBER...: vsrc and other RUNNING on them, as each shows
	on_all all_running_on "$@" -- vsrc 3 "$@" &&
		on_all all_running_on "$@" -- other 1 "$@"
}
kill_member() {
	local n=$1 t0 ms
	shift
	t0=$(date +%s%N)
	kill -KILL "${MPID[n]}"
	wait_until 5 dead "${MPID[n]}"
	{ wait "${MPID[n]}"; } 2>/dev/null
	if wait_until 30 both_running "$@"; then
		ms=$((($(date +%s%N) - t0) / 1000000))
		ok "kill -9 of member $n: its tasks RUNNING on members $* after $ms ms, as each of them shows"
	else
		fail "kill -9 of member $n: its tasks RUNNING on members $* within 30 s, as each of them shows" \
			"$(DIAG="$*" dist_diag)"
	fi
	wait_check 10 "... members $* show the same status" status_same vsrc "$@"
}

find_leader 1
kill_member "$F1" "$LEADER" "$F2"
wait_check 5 "... the leader is still member $LEADER" eval \
	"same_leader $LEADER $F2 && [[ \$(leader_of $LEADER) == ${MID[LEADER]} ]]"

dist_start "$F1" || finish
wait_check 40 "member $F1 back: one vsrc task per member again" \
	spread_is "$F1" vsrc "1 1 1" 1 2 3

kill_member "$LEADER" "$F1" "$F2"
if wait_until 10 same_leader "$F1" "$F2"; then
	ok "after the leader's death, members $F1 and $F2 agree on a new leader: $(leader_of "$F1")"
else
	fail "after the leader's death, members $F1 and $F2 agree on a new leader among them" \
		"$(DIAG="$F1 $F2" dist_diag)"
fi
dist_start "$LEADER" || finish
wait_check 40 "member $LEADER back: one vsrc task per member again" \
	spread_is "$LEADER" vsrc "1 1 1" 1 2 3

# --- 2. a pause across a full restart ---------------------------------------------
dist_write any PUT /connectors/vsrc/pause
expect "PUT /connectors/vsrc/pause: 202" 202
wait_check 20 "vsrc PAUSED on every member" on_all state_on 1 2 3 -- vsrc PAUSED 3
PREV_COUNT=
wait_until 20 topic_settled vs "$WORK/vs.paused"
paused_count=$(wc -l <"$WORK/vs.paused")
if ((paused_count > 0)); then
	ok "vs has $paused_count records at the pause"
else
	fail "vs has records at the pause" "$(cat "$WORK/kcat.err")"
fi
for n in 1 2 3; do
	dist_stop "$n" TERM 20
	rc=$?
	if [[ $rc != 0 ]]; then
		fail "member $n stops with SIGTERM, exit 0" "exit $rc" "$(tail -n 10 "${MLOG[n]}")"
	fi
done
if no_taskhosts "" 1 2 3; then
	ok "all members stopped, no taskhost left"
else
	fail "all members stopped, no taskhost left" "$(pgrep -a -f "sluice-taskhost .*$WORK/")"
fi
dist_start 1 2 3 || finish
wait_check 40 "after a full restart: vsrc PAUSED on every member" \
	on_all state_on 1 2 3 -- vsrc PAUSED 3
wait_check 40 "after a full restart: other RUNNING on every member" \
	on_all all_running_on 1 2 3 -- other 1 1 2 3
topic_dump vs "$WORK/vs.restarted"
if [[ $(wc -l <"$WORK/vs.restarted") == "$paused_count" ]]; then
	ok "nothing was produced to vs while paused ($paused_count records)"
else
	fail "nothing was produced to vs while paused" \
		"$paused_count records at the pause, $(wc -l <"$WORK/vs.restarted") now; the new ones (partition offset task seqno):" \
		"$(tail -n +$((paused_count + 1)) "$WORK/vs.restarted" | head -n 10)"
fi

# --- 3. writes through a follower ---------------------------------------------------
wait_check 10 "the members agree on a leader" same_leader 1 2 3
find_leader 1
dist_write "$F1" PUT /connectors/vsrc/resume
if ! expect "PUT .../resume on a follower (member $F1): 202" 202; then
	dist_write any PUT /connectors/vsrc/resume
	expect "... PUT .../resume through member $WROTE_VIA then: 202" 202
fi
wait_check 30 "vsrc RUNNING again on every member" \
	on_all all_running_on 1 2 3 -- vsrc 3 1 2 3
NEW='{"connector.class":"VerifiableSource","topic":"vs","throughput":"20","tasks.max":"2"}'
dist_write "$F1" PUT /connectors/vsrc/config "$NEW"
if ! expect "PUT .../config on a follower (member $F1): 200" 200 '.name == "vsrc" and .config["tasks.max"] == "2"'; then
	dist_write any PUT /connectors/vsrc/config "$NEW"
	expect "... PUT .../config through member $WROTE_VIA then: 200" 200
fi
config_is() { # N: member N shows the new config
	jq_on "$1" /connectors/vsrc/config \
		'.["tasks.max"] == "2" and .throughput == "20" and .name == "vsrc"'
}
for n in 1 2 3; do
	wait_check 20 "member $n shows the new config" config_is "$n"
done
for n in 1 2 3; do
	wait_check 30 "member $n shows 2 RUNNING tasks" all_running_on "$n" vsrc 2 1 2 3
done
tasks_is_2() {
	jq_on "$1" /connectors/vsrc/tasks 'length == 2 and all(.[]; .config.throughput == "20")'
}
wait_check 20 "GET .../tasks on the leader: the 2 new task configs" tasks_is_2 "$LEADER"
gone_units() { # no taskhost of vsrc-2 anywhere
	local n
	for n in 1 2 3; do
		member_units "$n" | grep -qx vsrc-2 && return 1
	done
	return 0
}
wait_check 20 "no member runs a taskhost for task vsrc-2 any more" gone_units

# --- 4. delete through a follower -----------------------------------------------
dist_write "$F2" DELETE /connectors/vsrc
if ! expect "DELETE /connectors/vsrc on a follower (member $F2): 204" 204; then
	dist_write any DELETE /connectors/vsrc
	expect "... DELETE through member $WROTE_VIA then: 204" 204
fi
not_listed() { # N
	jq_on "$1" /connectors '. == ["other"]' &&
		[[ $(curl -s -m 10 -o /dev/null -w '%{http_code}' "${MURL[$1]}/connectors/vsrc/status") == 404 ]]
}
for n in 1 2 3; do
	wait_check 20 "member $n no longer lists vsrc (and its status is 404)" not_listed "$n"
done
wait_check 20 "no taskhost of vsrc left on any member" no_taskhosts vsrc 1 2 3
wait_check 20 "other still RUNNING, as every member shows" \
	on_all all_running_on 1 2 3 -- other 1 1 2 3

for n in 1 2 3; do
	dist_stop "$n" TERM 20
done
finish
