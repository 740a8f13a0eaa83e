# tests/integration/lib.sh: helpers shared by the integration tests.
#
# Source it at the top of a test script, then:
#
#	. "$(dirname "$0")/lib.sh"
#	lib_init                     # $WORK, counters, cleanup on exit
#	require_cmd kcat
#	start_devkafka --topic t:3   # sets DEVKAFKA_PID and BOOTSTRAP
#	check "metadata works" kcat -b "$BOOTSTRAP" -L -m 5
#	if something; then ok "name"; else fail "name" "why"; fi
#	finish                       # prints "N passed, N failed", exits
#
# Output contract (tests/run adds these up): one line "ok NAME" or
# "FAIL NAME" per case, details of a failure on "  # " lines after it, and
# last a line "N passed, N failed". The exit status is non-zero when a
# case failed.
#
# Environment:
#	BUILD		build directory (default build); a relative path is
#			taken from the repository top
#	SLUICE_TOP	repository top (default: found from this file)
#	KEEP_WORK=1	keep $WORK after the run, for post-mortems (it is
#			kept anyway when a case failed)
#
# Every background process goes through spawn, which records its pid;
# on exit (normal, error, SIGINT, SIGTERM) the cleanup trap sends each
# one still running SIGTERM, then SIGKILL after 3 s. Nothing else is
# killed. Foreground commands that could hang are run under timeout(1).

LIB_PASSED=0
LIB_FAILED=0
LIB_PIDS=()
WORK=
DEVKAFKA_PID=
BOOTSTRAP=

SLUICE_TOP=${SLUICE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$SLUICE_TOP/$BUILD ;;
esac

# lib_init: creates $WORK and installs the cleanup trap. Call it first.
lib_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-test.XXXXXX") || {
		echo "FAIL setup"
		echo "  # mktemp -d failed"
		echo "0 passed, 1 failed"
		exit 1
	}
	trap lib_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# ok NAME: records a passed case.
ok() {
	echo "ok $1"
	LIB_PASSED=$((LIB_PASSED + 1))
}

# fail NAME [DETAIL...]: records a failed case; each DETAIL is printed on
# its own "  # " line.
fail() {
	local name=$1 line
	shift
	echo "FAIL $name"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/  # /'
	done
	LIB_FAILED=$((LIB_FAILED + 1))
}

# check NAME CMD...: runs CMD; the case passes if it exits 0. CMD's
# output is shown only when it fails.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -eq 0 ]]; then
		ok "$name"
	else
		fail "$name" "exit $rc: $*" "$(printf '%s\n' "$out" | tail -n 20)"
	fi
}

# expected_crashes: filters out of grep output the report lines of tasks
# that crash on purpose: set EXPECTED_CRASHES to their connector names
# (a sanitizer reports their deliberate SIGSEGV as a deadly signal).
expected_crashes() {
	local c pat=""
	for c in ${EXPECTED_CRASHES:-}; do
		pat="$pat|conn=$c "
	done
	if [[ -z $pat ]]; then
		cat
	else
		grep -v -E "${pat#|}"
	fi
}

# finish: prints the summary and exits (1 if any case failed). A
# sanitizer report in any log of the run (sluiced relays its taskhosts'
# output) is a failed case of its own.
finish() {
	local reports
	if [[ -n $WORK && -d $WORK ]]; then
		reports=$(grep -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" \
			"$WORK"/*.err "$WORK"/*.out 2>/dev/null | expected_crashes |
			cut -d: -f1 | sort -u)
		if [[ -n $reports ]]; then
			fail "no sanitizer reports" $reports \
				"$(grep -h -A 12 -E "Sanitizer|runtime error:" $reports | head -n 40)"
		fi
	fi
	echo "$LIB_PASSED passed, $LIB_FAILED failed"
	if [[ $LIB_FAILED -ne 0 ]]; then
		exit 1
	fi
	exit 0
}

# require_cmd CMD...: fails the run at once if a command is missing.
require_cmd() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			fail "setup" "required command '$c' not found (run scripts/setup)"
			finish
		fi
	done
}

# require_file PATH...: fails the run at once if a file is missing (a
# program that was not built).
require_file() {
	local f
	for f in "$@"; do
		if [[ ! -e $f ]]; then
			fail "setup" "$f is missing (run make)"
			finish
		fi
	done
}

# spawn NAME CMD...: starts CMD in the background with stdout in
# $WORK/NAME.out and stderr in $WORK/NAME.err; sets SPAWNED_PID and
# records the pid for cleanup. CMD runs as the direct child (no subshell),
# so signals sent to SPAWNED_PID reach it.
spawn() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	SPAWNED_PID=$!
	LIB_PIDS+=("$SPAWNED_PID")
}

# wait_until TIMEOUT CMD...: runs CMD every 0.05 s until it succeeds
# (returns 0) or TIMEOUT seconds pass (returns 1).
wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$((SECONDS + timeout))
	while ! "$@"; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# wait_for_file PATH [TIMEOUT]: waits until PATH exists and is not empty.
wait_for_file() {
	wait_until "${2:-10}" test -s "$1"
}

# wait_for_log FILE PATTERN [TIMEOUT]: waits until FILE has a line that
# matches the extended regex PATTERN.
wait_for_log() {
	wait_until "${3:-10}" grep -Eq -- "$2" "$1"
}

# alive PID: whether the process is still running. An exited child that
# was not waited for yet is a zombie, which kill -0 still finds: read
# the state from /proc instead.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# dead PID: the opposite of alive, for wait_until.
dead() {
	! alive "$1"
}

# stop_pid PID [SIGNAL] [TIMEOUT]: sends SIGNAL (default TERM) and waits
# up to TIMEOUT seconds (default 10) for the process, a child of this
# shell, to exit. Returns its exit status (128+N if killed by signal N),
# or 124 if it was still running (it is then left to the cleanup trap).
stop_pid() {
	local pid=$1 sig=${2:-TERM} timeout=${3:-10}
	kill -"$sig" "$pid" 2>/dev/null
	if ! wait_until "$timeout" dead "$pid"; then
		return 124
	fi
	wait "$pid"
}

# start_devkafka [ARGS...]: starts build/sluice-devkafka with ARGS and a
# bootstrap file in $WORK, waits for it, and sets DEVKAFKA_PID and
# BOOTSTRAP. Its output goes to $WORK/devkafka.out and .err. Returns 1
# (with the reason on stderr) if it does not come up within 10 s.
start_devkafka() {
	local bootfile=$WORK/devkafka.bootstrap
	rm -f "$bootfile"
	spawn devkafka "$BUILD/sluice-devkafka" --bootstrap-file "$bootfile" "$@"
	DEVKAFKA_PID=$SPAWNED_PID
	if ! wait_for_file "$bootfile" 10; then
		echo "sluice-devkafka did not start:" >&2
		cat "$WORK/devkafka.err" >&2
		return 1
	fi
	BOOTSTRAP=$(cat "$bootfile")
}

# write_worker FILE [KEY=VALUE...]: writes a worker config for sluiced
# against $BOOTSTRAP (or the embedded cluster if BOOTSTRAP is empty), with
# its state in $WORK/state, StringConverter for keys and values, offsets
# flushed every second, and the extra lines given.
write_worker() {
	local file=$1 line
	shift
	{
		echo "bootstrap.servers=${BOOTSTRAP:-embedded}"
		echo "sluice.state.dir=$WORK/state"
		echo "offset.storage.file.filename=$WORK/state/offsets.json"
		echo "offset.flush.interval.ms=1000"
		echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
		for line in "$@"; do
			echo "$line"
		done
	} >"$file"
}

# start_sluiced NAME ARGS...: starts build/sluiced with ARGS (its log in
# $WORK/NAME.err), waits until it logs SV-READY, and sets SLUICED_PID.
# Returns 1 if it exits or is not ready within 20 s.
start_sluiced() {
	local name=$1
	shift
	spawn "$name" "$BUILD/sluiced" "$@"
	SLUICED_PID=$SPAWNED_PID
	wait_until 20 sluiced_ready "$name" "$SLUICED_PID"
	grep -q SV-READY "$WORK/$name.err"
}

sluiced_ready() {
	grep -q SV-READY "$WORK/$1.err" 2>/dev/null || dead "$2"
}

# task_pid LOG CONN TASK: the pid of the running taskhost of a task
# ("-" for the connector instance), from the newest SV-UNIT-RUNNING line.
task_pid() {
	grep -E "SV-UNIT-RUNNING task=$3 conn=$2 " "$1" | tail -n 1 |
		sed -E 's/.*\(pid ([0-9]+)\)$/\1/'
}

# my_taskhosts: the pids of this test's taskhosts (those whose task
# directory is under $WORK), space-separated. Other tests may run
# sluiceds on the same machine: never touch theirs.
my_taskhosts() {
	pgrep -d ' ' -f -- "sluice-taskhost .*--task-dir $WORK/"
}

# read_topic_bg TOPIC N FORMAT: reads the first N records of TOPIC in
# the background into $WORK/TOPIC.recs, one kcat -f FORMAT line each
# (kcat's errors in $WORK/kcat.err). It runs while the records are
# produced: the dev broker keeps only the last few MiB of a partition.
# Sets READER.
read_topic_bg() {
	timeout 60 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -c "$2" -q \
		-f "$3" >"$WORK/$1.recs" 2>"$WORK/kcat.err" &
	READER=$!
}

# lines FILE: the number of lines in FILE (0 if it does not exist).
lines() {
	if [[ -e $1 ]]; then
		wc -l <"$1"
	else
		echo 0
	fi
}

# has_lines FILE N: whether FILE has at least N lines.
has_lines() {
	(($(lines "$1") >= $2))
}

# lib_cleanup: the EXIT trap. Stops what spawn started, removes $WORK.
lib_cleanup() {
	local pid alive_pids=() n
	for pid in "${LIB_PIDS[@]}"; do
		if alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null
			alive_pids+=("$pid")
		fi
	done
	for pid in "${alive_pids[@]}"; do
		for ((n = 0; n < 60; n++)); do
			alive "$pid" || break
			sleep 0.05
		done
		if alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	if [[ -n $WORK && -d $WORK ]]; then
		if [[ ${KEEP_WORK:-0} == 1 || $LIB_FAILED -ne 0 ]]; then
			echo "work directory kept: $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
}

# Run directly (tests/run runs every tests/integration/*.sh): no cases.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	echo "lib.sh holds helpers for the other tests; nothing to run"
	echo "0 passed, 0 failed"
	exit 0
fi
