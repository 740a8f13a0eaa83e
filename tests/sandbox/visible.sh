#!/bin/bash
# tests/sandbox/visible.sh: the sandbox as /proc shows it from outside.
#
# A running task has three processes (taskhost/th_sandbox_linux.c): the
# one sluiced started (the monitor: the pid in its log), its child, pid 1
# of the task's pid namespace (the namespace's init), and the init's
# child, pid 2, which runs the plugin. For the plugin's process: Seccomp 2, NoNewPrivs 1, no
# capability (not even in the bounding set), every namespace other than
# sluiced's, an empty environment, and no descriptor but its channels.
# The monitor: the same, but for the pid namespace it shares with sluiced
# (its children's is new). Also: the plugin's stderr reaches sluiced's
# log tagged with the task, rate-limited, and sluice.sandbox=none is loud.
. "$(dirname "$0")/../integration/lib.sh"

lib_init
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/test-plugins/hostile_source.so"
if [[ ${SLUICE_SANDBOX:-default} == none ]]; then
	echo "SLUICE_SANDBOX=none: no sandbox to look at; skipped"
	finish
fi

BOOTSTRAP=
write_worker "$WORK/worker.properties" \
	"plugin.path=$BUILD/plugins,$BUILD/test-plugins/hostile_source.so"
cat >"$WORK/vis.properties" <<EOF
name=vis
connector.class=HostileSource
topic=vis
attack=none
stderr.lines=5000
EOF
if ! start_sluiced sluiced standalone "$WORK/worker.properties" \
	"$WORK/vis.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
LOG=$WORK/sluiced.err
if ! wait_for_log "$LOG" 'SV-UNIT-RUNNING task=0 conn=vis ' 20; then
	fail "the task runs" "$(tail -n 20 "$LOG")"
	finish
fi
MON=$(task_pid "$LOG" vis 0)

# the children of the monitor, by their pid in the task's namespace
INIT=$(awk '{ print $1 }' "/proc/$MON/task/$MON/children" 2>/dev/null)
TASK=$(awk '{ print $1 }' "/proc/$INIT/task/$INIT/children" 2>/dev/null)
nspid() {
	awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null
}
if [[ -n $INIT && -n $TASK && $(nspid "$INIT") == 1 && $(nspid "$TASK") == 2 ]]; then
	ok "the monitor ($MON) has one child, the namespace's init ($INIT, pid 1 inside), whose child is the task ($TASK, pid 2 inside)"
else
	fail "the task's processes" "monitor $MON, init: $INIT, task: $TASK"
	finish
fi

field() { # PID NAME
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

check_status() { # WHAT PID
	local what=$1 pid=$2
	if [[ $(field "$pid" Seccomp) == 2 ]]; then
		ok "$what: Seccomp 2 (filter)"
	else
		fail "$what: Seccomp 2" "$(grep Seccomp "/proc/$pid/status")"
	fi
	if [[ $(field "$pid" NoNewPrivs) == 1 ]]; then
		ok "$what: NoNewPrivs 1"
	else
		fail "$what: NoNewPrivs 1" "$(grep NoNewPrivs "/proc/$pid/status")"
	fi
	if [[ $(field "$pid" CapEff) == 0000000000000000 &&
		$(field "$pid" CapPrm) == 0000000000000000 &&
		$(field "$pid" CapBnd) == 0000000000000000 ]]; then
		ok "$what: no capability (effective, permitted, bounding)"
	else
		fail "$what: no capability" "$(grep Cap "/proc/$pid/status")"
	fi
	if ! cat "/proc/$pid/environ" >/dev/null 2>&1; then
		# not root: a process that is not dumpable hides even this
		ok "$what: environment not readable by sluiced's user (not dumpable)"
	elif [[ ! -s /proc/$pid/environ ]]; then
		ok "$what: empty environment"
	else
		fail "$what: empty environment" "$(tr '\0' ' ' <"/proc/$pid/environ")"
	fi
}

# Descriptors can be listed by root only (the processes are not
# dumpable); tests/sandbox/escape.sh lists them from inside as well.
can_list_fds() {
	ls "/proc/$1/fd" >/dev/null 2>&1
}

check_ns() { # WHAT PID NAMESPACES...
	local what=$1 pid=$2 ns same=()
	shift 2
	for ns in "$@"; do
		if [[ $(readlink "/proc/$pid/ns/$ns") == $(readlink "/proc/$SLUICED_PID/ns/$ns") ]]; then
			same+=("$ns")
		fi
	done
	if [[ ${#same[@]} -eq 0 ]]; then
		ok "$what: namespaces $* differ from sluiced's"
	else
		fail "$what: namespaces differ from sluiced's" "same: ${same[*]}"
	fi
}

check_status "the task" "$TASK"
check_ns "the task" "$TASK" cgroup ipc mnt net pid user uts
fds=$(for f in /proc/"$TASK"/fd/*; do echo "${f##*/}=$(readlink "$f")"; done)
if ! can_list_fds "$TASK"; then
	ok "the task: its fds cannot be listed by sluiced's user (not dumpable)"
else
bad=$(grep -vE '=(/dev/null|pipe:\[[0-9]+\]|socket:\[[0-9]+\]|anon_inode:\[eventpoll\]|anon_inode:\[eventfd\])$' <<<"$fds")
if [[ -z $bad && $(grep -c 'socket:' <<<"$fds") -eq 1 ]] &&
	grep -qx '0=/dev/null' <<<"$fds" &&
	[[ $(grep -E '^[12]=' <<<"$fds" | cut -d= -f2 | sort -u | wc -l) -eq 1 ]]; then
	ok "the task: only its channels among its fds ($(echo $fds))"
else
	fail "the task: only its channels among its fds" "$fds"
fi
fi

check_status "the monitor" "$MON"
check_ns "the monitor" "$MON" cgroup ipc mnt net user uts pid_for_children
if ! can_list_fds "$MON"; then
	ok "the monitor: its fds cannot be listed by sluiced's user (not dumpable)"
elif [[ $(ls "/proc/$MON/fd" | sort -n | tr '\n' ' ') == "0 1 2 3 " &&
	$(readlink "/proc/$MON/fd/3") == pipe:* &&
	$(readlink "/proc/$MON/fd/3") == "$(readlink "/proc/$INIT/fd/"*)" ]]; then
	ok "the monitor: no descriptor but stdin, the log pipe and the pipe from the init"
else
	fail "the monitor: no descriptor but stdin, the log pipe and the pipe from the init" \
		"$(ls -l "/proc/$MON/fd")"
fi
check_status "the namespace's init" "$INIT"
if ! can_list_fds "$INIT"; then
	ok "the namespace's init: its fds cannot be listed by sluiced's user (not dumpable)"
elif [[ $(ls "/proc/$INIT/fd" | wc -l) -eq 1 && $(readlink "/proc/$INIT/fd/"*) == pipe:* ]]; then
	ok "the namespace's init: no descriptor but its pipe to the monitor"
else
	fail "the namespace's init: no descriptor but its pipe to the monitor" \
		"$(ls -l "/proc/$INIT/fd")"
fi

# the cgroup leaf, where this machine gives one
if grep -q SV-CGROUP-NONE "$LOG"; then
	ok "no cgroup here, and the log says why: $(grep -o 'no cgroup for tasks.*' "$LOG" | head -n 1 | cut -c1-160)"
elif grep -Eq "sluiced-$SLUICED_PID/vis-0\$" "/proc/$MON/cgroup"; then
	ok "the task's processes are in the cgroup leaf sluiced-$SLUICED_PID/vis-0"
else
	fail "the task's processes are in their cgroup leaf" "$(cat "/proc/$MON/cgroup")"
fi

# the plugin's stderr, from inside the sandbox, reaches the log
# (5000 lines at once: the burst of the rate limit passes, the rest not)
relayed() {
	grep -c 'T INFO TH-OUTPUT task=0 conn=vis HOSTILE stderr line' "$LOG"
}
if wait_for_log "$LOG" 'T INFO TH-OUTPUT task=0 conn=vis HOSTILE stderr line 0$' 10 &&
	sleep 1 && (($(relayed) >= 100 && $(relayed) < 5000)); then
	ok "the plugin's stderr reaches sluiced's log, tagged and rate-limited ($(relayed) of 5000 lines)"
else
	fail "the plugin's stderr reaches sluiced's log, tagged and rate-limited" \
		"$(grep 'conn=vis' "$LOG" | grep -v 'HOSTILE stderr' | tail -n 5)"
fi

stop_pid "$SLUICED_PID" TERM 20
rc=$?
if [[ $rc -eq 0 ]] && dead "$MON" && dead "$TASK" && dead "$INIT"; then
	ok "a clean stop leaves none of the three"
else
	fail "a clean stop leaves none of the three" "exit $rc"
fi

# sluice.sandbox=none says so, in sluiced's log and in each task's
write_worker "$WORK/none.properties" \
	"plugin.path=$BUILD/plugins,$BUILD/test-plugins/hostile_source.so" \
	"sluice.sandbox=none" "sluice.state.dir=$WORK/state-none"
sed -i 's/^stderr.lines=.*/stderr.lines=0/' "$WORK/vis.properties"
if start_sluiced none standalone "$WORK/none.properties" "$WORK/vis.properties" &&
	wait_for_log "$WORK/none.err" 'SV-UNIT-RUNNING task=0 conn=vis ' 20 &&
	grep -q 'WARN SV-SANDBOX-NONE .*UNCONFINED' "$WORK/none.err" &&
	grep -q 'TH-OUTPUT task=0 conn=vis TH-SANDBOX-NONE .*UNCONFINED' "$WORK/none.err"; then
	ok "sluice.sandbox=none is loud: in sluiced's log and for each task"
else
	fail "sluice.sandbox=none is loud" "$(grep -i sandbox "$WORK/none.err" | head -n 5)"
fi
stop_pid "$SLUICED_PID" TERM 20
finish
