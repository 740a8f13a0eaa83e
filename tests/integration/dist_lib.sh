# tests/integration/dist_lib.sh: helpers for the distributed mode tests
# (distributed_*.sh), on top of rest_lib.sh and lib.sh.
#
#	. "$(dirname "$0")/dist_lib.sh"
#	dist_init                        # lib_init, commands, ports
#	dist_devkafka --topic data:3     # the dev broker with the internal
#	                                 # topics pre-created
#	dist_start 1 2 3 || finish       # members 1..3; sets MURL, MID, MPID
#	dist_write 1 POST /connectors "$json"   # retries 409 until a deadline
#	expect_on 2 "name" GET /connectors 200 '. == ["x"]'
#	wait_check 20 "desc" spread_is 1 x "2 2 2"
#	dist_stop 2 TERM
#	finish
#
# Member N has its worker config in $WORK/mN.properties, its state in
# $WORK/mN, a fixed REST port chosen at dist_init (so that a restarted
# member keeps its worker id 127.0.0.1:PORT), and its log in
# $WORK/mN.err (the Kth start after the first in $WORK/mN-K.err; MLOG[N]
# is the current one). Every wait has a deadline; nothing sleeps and
# hopes.
#
# Settings (set them before dist_init / dist_write_worker):
#	DIST_GROUP	group.id (default dist); the internal topics are
#			$DIST_GROUP-configs, -offsets, -status, -slots
#	DIST_SESSION_MS	session.timeout.ms (default 6000)
#	DIST_EXTRA	an array of more worker lines for every member
#	DIST_SLOTS_KEY	1 (default): set sluice.slots.topic explicitly;
#			0: leave it to its default <group.id>-slots
#			(sluice.slots.topic.partitions is always 128, as the
#			pre-created topic)
#	DIST_BUDGET	seconds the whole test may take (default 170): every
#			wait is cut to what is left, and a failed wait_check
#			once it is used up ends the test (so that a broken
#			cluster fails in minutes, not one deadline after
#			another)

. "$(dirname "${BASH_SOURCE[0]}")/rest_lib.sh"

DIST_GROUP=${DIST_GROUP:-dist}
DIST_SESSION_MS=${DIST_SESSION_MS:-6000}
DIST_SLOTS_KEY=${DIST_SLOTS_KEY:-1}
if [[ -z ${DIST_EXTRA+x} ]]; then
	DIST_EXTRA=()
fi
DIST_BUDGET=${DIST_BUDGET:-170}
DIST_DEADLINE=
DIST_NMAX=6
MPORT=()
MURL=()
MID=()
MPID=()
MLOG=()
MSTARTS=()

# dist_init: lib_init, the commands and programs the tests need, and a
# free loopback port for each of up to DIST_NMAX members.
dist_init() {
	local ports i
	lib_init
	DIST_DEADLINE=$((SECONDS + DIST_BUDGET))
	require_cmd curl jq kcat python3 timeout pgrep
	require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
		"$BUILD/sluice-devkafka" "$BUILD/plugins"
	# below the ephemeral range, so that no client socket holds one
	ports=$(python3 - "$DIST_NMAX" <<'EOF'
import random, socket, sys
n, got = int(sys.argv[1]), []
while len(got) < n:
    p = random.randint(20000, 32000)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
print(" ".join(map(str, got)))
EOF
)
	i=1
	for p in $ports; do
		MPORT[i]=$p
		MURL[i]=http://127.0.0.1:$p
		MID[i]=127.0.0.1:$p
		MSTARTS[i]=0
		i=$((i + 1))
	done
}

# wait_until TIMEOUT CMD...: lib.sh's, with TIMEOUT cut to what is left
# of the test's budget.
wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$((SECONDS + timeout))
	if [[ -n $DIST_DEADLINE ]] && ((deadline > DIST_DEADLINE)); then
		deadline=$DIST_DEADLINE
	fi
	while ! "$@"; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# budget_check: ends the test (a failed case) if its budget is used up.
budget_check() {
	if [[ -n $DIST_DEADLINE ]] && ((SECONDS >= DIST_DEADLINE)); then
		fail "the test ends within its budget of $DIST_BUDGET s" \
			"used up: the cases after the last one did not run"
		finish
	fi
}

# dist_devkafka [ARGS...]: the dev broker (one broker unless ARGS say
# otherwise) with the four internal topics pre-created: configs 1
# partition, offsets 25, status 5, slots 128.
dist_devkafka() {
	local brokers=(--brokers 1)
	[[ " $* " == *" --brokers "* ]] && brokers=()
	if ! start_devkafka "${brokers[@]}" \
		--topic "$DIST_GROUP-configs:1" --topic "$DIST_GROUP-offsets:25" \
		--topic "$DIST_GROUP-status:5" --topic "$DIST_GROUP-slots:128" "$@"; then
		fail "the dev broker starts" "$(cat "$WORK/devkafka.err")"
		finish
	fi
}

# dist_write_worker N [KEY=VALUE...]: writes $WORK/mN.properties.
dist_write_worker() {
	local n=$1 line
	shift
	# the admin socket lives there: sluiced wants it closed to others
	mkdir -p -m 0700 "$WORK/m$n"
	{
		echo "bootstrap.servers=$BOOTSTRAP"
		echo "group.id=$DIST_GROUP"
		echo "config.storage.topic=$DIST_GROUP-configs"
		echo "config.storage.replication.factor=1"
		echo "offset.storage.topic=$DIST_GROUP-offsets"
		echo "offset.storage.partitions=25"
		echo "offset.storage.replication.factor=1"
		echo "status.storage.topic=$DIST_GROUP-status"
		echo "status.storage.partitions=5"
		echo "status.storage.replication.factor=1"
		if [[ $DIST_SLOTS_KEY == 1 ]]; then
			echo "sluice.slots.topic=$DIST_GROUP-slots"
		fi
		echo "sluice.slots.topic.partitions=128"
		echo "session.timeout.ms=$DIST_SESSION_MS"
		echo "heartbeat.interval.ms=1000"
		echo "rebalance.timeout.ms=10000"
		echo "listeners=http://127.0.0.1:${MPORT[n]}"
		echo "rest.advertised.host.name=127.0.0.1"
		echo "rest.advertised.port=${MPORT[n]}"
		echo "sluice.state.dir=$WORK/m$n"
		echo "plugin.path=$BUILD/plugins"
		echo "offset.flush.interval.ms=1000"
		echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "consumer.session.timeout.ms=$DIST_SESSION_MS"
		echo "consumer.heartbeat.interval.ms=1000"
		echo "task.shutdown.graceful.timeout.ms=3000"
		for line in "${DIST_EXTRA[@]}"; do
			echo "$line"
		done
		for line in "$@"; do
			echo "$line"
		done
	} >"$WORK/m$n.properties"
}

# member_up N: member N's REST API answers GET / (or it exited).
member_up() {
	[[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "${MURL[$1]}/" 2>/dev/null) == 200 ]] ||
		dead "${MPID[$1]}"
}

# dist_start N...: starts each member N with `sluiced distributed`
# (writing its config first if there is none) and waits up to 20 s until
# its REST API answers. A member that exits or does not answer is a
# failed case "member N starts", with its log; returns 1 then.
dist_start() {
	local n name rc=0
	budget_check
	for n in "$@"; do
		[[ -e $WORK/m$n.properties ]] || dist_write_worker "$n"
		MSTARTS[n]=$((${MSTARTS[n]:-0} + 1))
		name=m$n
		((MSTARTS[n] > 1)) && name=m$n-${MSTARTS[n]}
		spawn "$name" "$BUILD/sluiced" distributed "$WORK/m$n.properties"
		MPID[n]=$SPAWNED_PID
		MLOG[n]=$WORK/$name.err
	done
	for n in "$@"; do
		if ! wait_until 20 member_up "$n" || ! alive "${MPID[n]}"; then
			fail "member $n starts (sluiced distributed, REST on ${MURL[n]})" \
				"$(alive "${MPID[n]}" && echo "running, REST not answering" ||
					echo "exited")" "$(tail -n 15 "${MLOG[n]}")"
			rc=1
		fi
	done
	return $rc
}

# dist_stop N [SIGNAL] [TIMEOUT]: stops member N (default SIGTERM, 20 s);
# returns its exit status as stop_pid does.
dist_stop() {
	budget_check
	stop_pid "${MPID[$1]}" "${2:-TERM}" "${3:-20}"
}

# rest_on N METHOD PATH [BODY]: req on member N (sets CODE, RESP).
rest_on() {
	local n=$1
	shift
	URL=${MURL[n]}
	req "$@"
}

# get_on N PATH: the body of GET PATH on member N ("" if it fails).
get_on() {
	curl -s -m 10 "${MURL[$1]}$2" 2>/dev/null
}

# jq_on N PATH [JQ-ARGS...] FILTER: jq -e FILTER holds on the body of GET
# PATH on member N. An empty or missing body is false (jq -e alone takes
# no input as success).
jq_on() {
	local n=$1 path=$2 body
	shift 2
	body=$(get_on "$n" "$path")
	[[ -n $body ]] || return 1
	jq -e "$@" >/dev/null 2>&1 <<<"$body"
}

# expect_on N NAME METHOD PATH CODE [JQ-FILTER]: one request, one case.
expect_on() {
	local n=$1 name=$2 method=$3 path=$4 code=$5
	rest_on "$n" "$method" "$path"
	expect "$name" "$code" "${6:-}"
}

# dist_write N METHOD PATH [BODY] [TIMEOUT]: a write to the cluster through
# member N, sent again while it answers 409 (a rebalance in progress), up
# to TIMEOUT seconds (default 30). N "any": to each running member in
# turn (for tests about something else than forwarding). Sets CODE and
# RESP to the last answer, WROTE_VIA to the member that gave it.
dist_write() {
	local n=$1 method=$2 path=$3 body=${4-} timeout=${5:-30} deadline m
	local members=("$n")
	deadline=$((SECONDS + timeout))
	if [[ -n $DIST_DEADLINE ]] && ((deadline > DIST_DEADLINE)); then
		deadline=$DIST_DEADLINE
	fi
	if [[ $n == any ]]; then
		members=()
		for m in "${!MPID[@]}"; do
			alive "${MPID[m]}" && members+=("$m")
		done
	fi
	while :; do
		for m in "${members[@]}"; do
			WROTE_VIA=$m
			if [[ -n $body ]]; then
				rest_on "$m" "$method" "$path" "$body"
			else
				rest_on "$m" "$method" "$path"
			fi
			[[ $CODE == 409 ]] || return 0
		done
		((SECONDS >= deadline)) && return 1
		sleep 0.2
	done
}

# leader_of N: the "leader" member N shows in GET / ("" if none).
leader_of() {
	get_on "$1" / | jq -r '.leader // empty' 2>/dev/null
}

# root_ok N: GET / on member N shows its own worker_id and a leader.
root_ok() {
	jq_on "$1" / --arg id "${MID[$1]}" \
		'.worker_id == $id and (.leader | type) == "string" and .leader != ""'
}

# same_leader N...: every member N shows its worker id and the same
# leader, which is one of them.
same_leader() {
	local n l first= ids=" "
	for n in "$@"; do
		ids="$ids${MID[n]} "
	done
	for n in "$@"; do
		root_ok "$n" || return 1
		l=$(leader_of "$n")
		[[ -z $first ]] && first=$l
		[[ $l == "$first" ]] || return 1
	done
	[[ $ids == *" $first "* ]]
}

# find_leader N: sets LEADER to the member that member N shows as leader
# in GET /; if it shows none, to the member whose log last said "this
# member is now leader" (a fallback, so that the test can go on), else
# N. Sets F1 and F2 to the two members after it (of 1..3).
find_leader() {
	local m
	LEADER=$(member_of_id "$(leader_of "$1")")
	if [[ -z $LEADER ]]; then
		for m in "${!MPID[@]}"; do
			alive "${MPID[m]}" || continue
			if grep -E 'SV-CLUSTER-ROLE .* this member is now ' "${MLOG[m]}" |
				tail -n 1 | grep -q 'now leader'; then
				LEADER=$m
				echo "# GET / names no leader; member $m's log says it is"
			fi
		done
	fi
	LEADER=${LEADER:-$1}
	F1=$((LEADER % 3 + 1))
	F2=$((F1 % 3 + 1))
}

# member_of_id ID: the member number whose worker id is ID ("" if none).
member_of_id() {
	local n
	for n in "${!MID[@]}"; do
		if [[ ${MID[n]} == "$1" ]]; then
			echo "$n"
			return
		fi
	done
}

# status_norm N CONN: the connector's status on member N, reduced to what
# every member must agree on: states and worker ids, tasks sorted by id.
status_norm() {
	get_on "$1" "/connectors/$2/status" | jq -c -S '{name, type,
		connector: {state: .connector.state, worker_id: .connector.worker_id},
		tasks: ([.tasks[] | {id, state, worker_id}] | sort_by(.id))}' 2>/dev/null
}

# spread N CONN: the number of RUNNING tasks per worker in CONN's status
# on member N, as "id=count" words sorted by id.
spread() {
	get_on "$1" "/connectors/$2/status" | jq -r '[.tasks[] |
		select(.state == "RUNNING") | .worker_id] | group_by(.) |
		map("\(.[0])=\(length)") | join(" ")' 2>/dev/null
}

# spread_is N CONN "C1 C2..." [MEMBER...]: on member N, the connector is
# RUNNING, every task is RUNNING, and the tasks per worker, sorted
# descending, are C1 C2...; with MEMBERs, the workers are exactly those
# members.
spread_is() {
	local n=$1 conn=$2 want=$3 st got ids m
	shift 3
	st=$(get_on "$n" "/connectors/$conn/status")
	[[ -n $st ]] || return 1
	jq -e '.connector.state == "RUNNING" and (.tasks | length) > 0 and
		all(.tasks[]; .state == "RUNNING")' >/dev/null 2>&1 <<<"$st" || return 1
	got=$(jq -r '[.tasks[].worker_id] | group_by(.) | map(length) |
		sort | reverse | map(tostring) | join(" ")' 2>/dev/null <<<"$st")
	[[ $got == "$want" ]] || return 1
	if [[ $# -gt 0 ]]; then
		ids=$(for m in "$@"; do echo "${MID[m]}"; done | sort | tr '\n' ' ')
		got=$(jq -r '[.tasks[].worker_id] | unique | .[]' <<<"$st" | sort | tr '\n' ' ')
		[[ $got == "$ids" ]] || return 1
	fi
}

# all_running_on N CONN TASKS [MEMBER...]: on member N, the connector
# and exactly TASKS tasks are RUNNING; with MEMBERs, each on one of them.
all_running_on() {
	local n=$1 conn=$2 tasks=$3 ids m
	shift 3
	ids=$(for m in "$@"; do echo "${MID[m]}"; done | jq -R . | jq -s -c .)
	jq_on "$n" "/connectors/$conn/status" --argjson t "$tasks" \
		--argjson ids "$ids" '
		def here($w): ($ids | length) == 0 or ($ids | index($w)) != null;
		.connector.state == "RUNNING" and here(.connector.worker_id) and
		(.tasks | length) == $t and
		all(.tasks[]; .state == "RUNNING" and here(.worker_id))'
}

# state_on N CONN STATE TASKS: on member N, the connector and its TASKS
# tasks are all in STATE.
state_on() {
	jq_on "$1" "/connectors/$2/status" --arg s "$3" --argjson t "$4" \
		'.connector.state == $s and (.tasks | length) == $t and
		all(.tasks[]; .state == $s)'
}

# on_all CMD N... -- ARGS: CMD N ARGS holds for every member N.
on_all() {
	local cmd=$1 members=() n
	shift
	while [[ $# -gt 0 && $1 != -- ]]; do
		members+=("$1")
		shift
	done
	shift
	for n in "${members[@]}"; do
		"$cmd" "$n" "$@" || return 1
	done
}

# status_same CONN N...: every member N shows the same (normalized)
# status of CONN, and it has at least one task.
status_same() {
	local conn=$1 n first= s
	shift
	for n in "$@"; do
		s=$(status_norm "$n" "$conn")
		[[ -n $s && $s != null ]] || return 1
		[[ -z $first ]] && first=$s
		[[ $s == "$first" ]] || return 1
	done
	jq -e '(.tasks | length) > 0' >/dev/null 2>&1 <<<"$first"
}

# member_taskhosts N [CONN]: the pids of member N's taskhost processes
# (of CONN's connector instance and tasks only, with CONN),
# space-separated. A sandboxed taskhost may be more than one process.
member_taskhosts() {
	local dir=$WORK/m$1/tasks/
	if [[ -n ${2:-} ]]; then
		pgrep -d ' ' -f -- "sluice-taskhost .*--task-dir $dir$2(-[0-9]+)?( |$)"
	else
		pgrep -d ' ' -f -- "sluice-taskhost .*--task-dir $dir"
	fi
}

# member_units N: the units (connector instances and tasks, by task
# directory name: conn, conn-0...) member N runs a taskhost for, one a
# line, sorted.
member_units() {
	pgrep -a -f -- "sluice-taskhost .*--task-dir $WORK/m$1/tasks/" |
		grep -Eo -- '--task-dir [^ ]+' | sed 's|.*/tasks/||' | sort -u
}

# task_count N CONN: how many tasks of CONN member N runs a taskhost for.
task_count() {
	member_units "$1" | grep -cE -- "^$2-[0-9]+\$"
}

# no_taskhosts CONN N...: no member N runs a taskhost of CONN.
no_taskhosts() {
	local conn=$1 n
	shift
	for n in "$@"; do
		[[ -z $(member_taskhosts "$n" "$conn") ]] || return 1
	done
}

# wait_check TIMEOUT NAME CMD...: a case that passes when CMD holds within
# TIMEOUT seconds; on failure the details are the diagnostics of the
# members in DIAG (default: every started member) for the connectors in
# DIAG_CONNS. Returns like wait_until.
wait_check() {
	local timeout=$1 name=$2 t0=$SECONDS
	shift 2
	if wait_until "$timeout" "$@"; then
		ok "$name ($((SECONDS - t0)) s)"
		return 0
	fi
	fail "$name" "not within $timeout s: $*" "$(dist_diag)"
	budget_check
	return 1
}

# dist_diag: for each member in DIAG (default every member started), its
# GET /, the status of each connector in DIAG_CONNS, and the last
# warnings of its log.
dist_diag() {
	local n c members=(${DIAG:-${!MPID[@]}})
	for n in "${members[@]}"; do
		echo "member $n (${MID[n]}, pid ${MPID[n]}, $(alive "${MPID[n]}" && echo alive || echo exited)):"
		echo "  GET / $(get_on "$n" / | jq -c '{worker_id, leader}' 2>/dev/null)"
		for c in ${DIAG_CONNS:-}; do
			echo "  $c: $(status_norm "$n" "$c")"
		done
		echo "  taskhosts of: $(member_units "$n" | tr '\n' ' ')"
		grep -E ' (WARN|ERROR) ' "${MLOG[n]}" 2>/dev/null | tail -n 5 | sed 's/^/  | /'
		tail -n 3 "${MLOG[n]}" 2>/dev/null | sed 's/^/  | /'
	done
}

# topic_dump TOPIC FILE: reads TOPIC from the beginning to its end into
# FILE, one "partition offset key value" line per record.
topic_dump() {
	timeout 30 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q \
		-f '%p %o %k %s\n' >"$2" 2>"$WORK/kcat.err"
}

# seq_check TOPIC-DUMP TASKS MODE: checks VerifiableSource records (key
# the task id, value the seqno) in a topic_dump file: for each task
# 0..TASKS-1, seqnos from 0 to its last with no gap; MODE "nodup" also
# wants each seqno exactly once. Prints a summary line (and what is
# wrong); exits 1 if something is.
seq_check() {
	python3 - "$@" <<'EOF'
import collections, sys
path, tasks, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seen = collections.defaultdict(list)
bad = 0
for line in open(path):
    f = line.split()
    if len(f) != 4:
        bad += 1
        continue
    seen[f[2]].append(int(f[3]))
errors, summary = [], []
if bad:
    errors.append("%d records not of the form 'partition offset key value'" % bad)
for t in range(tasks):
    s = seen.pop(str(t), [])
    if not s:
        errors.append("task %d: no record" % t)
        continue
    last = max(s)
    distinct = set(s)
    missing = [i for i in range(last + 1) if i not in distinct]
    dups = len(s) - len(distinct)
    summary.append("task %d: 0..%d, %d duplicates" % (t, last, dups))
    if missing:
        errors.append("task %d: %d seqnos missing below %d, first %s"
                      % (t, len(missing), last, missing[:10]))
    if mode == "nodup" and dups:
        d = sorted(i for i, c in collections.Counter(s).items() if c > 1)
        errors.append("task %d: %d duplicates, first %s" % (t, dups, d[:10]))
for k in seen:
    errors.append("records with unexpected key %r" % k)
print("; ".join(summary))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
EOF
}

# sink_check TOPIC-DUMP SINK-FILE TOPIC: every record of the dump (by
# partition and offset) is in the VerifiableSink file, with the same key
# and value. Prints a summary; exits 1 if some record is missing.
sink_check() {
	python3 - "$@" <<'EOF'
import sys
dump, sink, topic = sys.argv[1:4]
want = {}
for line in open(dump):
    f = line.split()
    if len(f) == 4:
        want[(int(f[0]), int(f[1]))] = (f[2], f[3])
got = {}
for line in open(sink):
    f = line.split()
    if len(f) == 5 and f[0] == topic:
        got[(int(f[1]), int(f[2]))] = (f[4], f[3])
missing = sorted(k for k in want if k not in got)
differ = sorted(k for k in want if k in got and got[k] != want[k])
print("%d records in the topic, %d distinct in the sink file, %d missing, %d different"
      % (len(want), len(got), len(missing), len(differ)))
if missing:
    print("missing (partition, offset): %s" % missing[:10])
if differ:
    print("different: %s" % [(k, want[k], got[k]) for k in differ[:5]])
sys.exit(1 if missing or differ else 0)
EOF
}

# sink_has_all TOPIC-DUMP SINK-FILE TOPIC: sink_check, quietly, for
# wait_until.
sink_has_all() {
	sink_check "$@" >/dev/null 2>&1
}

# moved_on BEFORE NOW SINK-FILE TOPIC: between the topic dumps BEFORE and
# NOW every source task (key) produced more records, and the sink file
# has records of every partition past BEFORE's end of it: every task
# runs, not only its status. Prints what lags; exits 1 if something does.
moved_on() {
	python3 - "$@" <<'EOF'
import collections, sys
before, now, sink, topic = sys.argv[1:5]
def maxes(path, kf, vf, n):
    m = collections.defaultdict(lambda: -1)
    for line in open(path):
        f = line.split()
        if len(f) == n:
            m[f[kf]] = max(m[f[kf]], int(f[vf]))
    return m
b_task, n_task = maxes(before, 2, 3, 4), maxes(now, 2, 3, 4)
b_part = maxes(before, 0, 1, 4)
s_part = collections.defaultdict(lambda: -1)
for line in open(sink):
    f = line.split()
    if len(f) == 5 and f[0] == topic:
        s_part[f[1]] = max(s_part[f[1]], int(f[2]))
lag = ["source task %s: seqno %d then, %d now" % (k, v, n_task[k])
       for k, v in sorted(b_task.items()) if n_task[k] <= v]
lag += ["sink, partition %s: offset %d then, %d in the file" % (p, o, s_part[p])
        for p, o in sorted(b_part.items()) if s_part[p] <= o]
if not b_task:
    lag.append("no record before")
print("\n".join(lag))
sys.exit(1 if lag else 0)
EOF
}

# topic_settled TOPIC FILE: dumps TOPIC into FILE and holds when it has
# as many records as the previous call did (set PREV_COUNT= first).
topic_settled() {
	local c
	topic_dump "$1" "$2" || return 1
	c=$(wc -l <"$2")
	if [[ ${PREV_COUNT:-} == "$c" ]]; then
		return 0
	fi
	PREV_COUNT=$c
	sleep 0.5
	return 1
}

# pipeline_start TOPIC RATE LINES: a VerifiableSource "vsrc" (3 tasks, RATE
# records/s each) into TOPIC and a VerifiableSink "vsink" (tasks.max=3,
# file $SINK_FILE) reading it; waits until both run over members 1 to 3
# and LINES records reached the sink file. Ends the test if they do not.
pipeline_start() {
	local topic=$1 rate=$2 lines=$3
	dist_write any POST /connectors "{\"name\":\"vsrc\",\"config\":{\"connector.class\":\"VerifiableSource\",\"topic\":\"$topic\",\"throughput\":\"$rate\",\"tasks.max\":\"3\"}}"
	expect "create the source (3 tasks, $rate records/s each)" 201
	dist_write any POST /connectors "{\"name\":\"vsink\",\"config\":{\"connector.class\":\"VerifiableSink\",\"topics\":\"$topic\",\"file\":\"$SINK_FILE\",\"tasks.max\":\"3\"}}"
	expect "create the sink (tasks.max=3)" 201
	wait_check 40 "source and sink RUNNING over the three members" cluster_ok || finish
	wait_check 30 "records flow to the sink file" has_lines "$SINK_FILE" "$lines" || finish
}

# cluster_ok: vsrc and vsink with 3 tasks each RUNNING on members 1 to 3,
# as each member shows, and each member runs taskhosts.
cluster_ok() {
	local n
	for n in 1 2 3; do
		all_running_on "$n" vsrc 3 1 2 3 || return 1
		all_running_on "$n" vsink 3 1 2 3 || return 1
		[[ -n $(member_units "$n") ]] || return 1
	done
}

# Run directly (tests/run runs every tests/integration/*.sh): no cases.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	echo "dist_lib.sh holds helpers for the distributed tests; nothing to run"
	echo "0 passed, 0 failed"
	exit 0
fi
