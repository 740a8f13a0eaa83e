#!/bin/bash
# tests/sandbox/escape.sh: the escape suite. A hostile plugin
# (tests/connectors/hostile_source.c) tries each attack of issue 5 from
# inside a task, all at once in one sluiced, next to a file pipeline that
# must keep flowing. For each attack: it fails the documented way (the
# trace names what was refused), the task ends FAILED and is not started
# again, sluiced keeps running and the pipeline keeps moving data.
#
# Runs as whoever runs the tests; tests/sandbox/escape_user.sh runs it
# again as an unprivileged user. With SLUICE_SANDBOX=none (make asan)
# there is nothing to test: it says so and passes nothing.
. "$(dirname "$0")/../integration/lib.sh"

lib_init
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/sluice-devkafka" "$BUILD/test-plugins/hostile_source.so"
if [[ ${SLUICE_SANDBOX:-default} == none ]]; then
	echo "SLUICE_SANDBOX=none: no sandbox to escape from; skipped"
	finish
fi

# A = the worker's Kafka; B = a service the "granted" connector may reach.
if ! start_devkafka --brokers 1 --topic ctl:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
KAFKA=$BOOTSTRAP
mv "$WORK/devkafka.bootstrap" "$WORK/kafka.bootstrap"
spawn service "$BUILD/sluice-devkafka" --brokers 1 \
	--bootstrap-file "$WORK/service.bootstrap"
if ! wait_for_file "$WORK/service.bootstrap" 10; then
	fail "second devkafka starts" "$(cat "$WORK/service.err")"
	finish
fi
SERVICE=$(cat "$WORK/service.bootstrap")

write_worker "$WORK/worker.properties" \
	"plugin.path=$BUILD/plugins,$BUILD/test-plugins/hostile_source.so" \
	"task.heartbeat.timeout.ms=60000"

conns=()
conn() { # NAME KEY=VALUE...
	local name=$1
	shift
	{
		echo "name=$name"
		echo "connector.class=HostileSource"
		echo "topic=hostile"
		echo "target.pid=@SLUICED_PID@"
		printf '%s\n' "$@"
	} >"$WORK/$name.properties"
	conns+=("$WORK/$name.properties")
}

# attack name -> what the trace must say
declare -A expect=(
	[read_shadow]='refused read_shadow: /etc/shadow: No such file or directory'
	[read_file]='refused read_file: .*/worker.properties: No such file or directory'
	[proc_environ]='refused proc_environ: /proc/[0-9]+/environ: No such file or directory'
	[proc_mem]='refused proc_mem: /proc/[0-9]+/mem: No such file or directory'
	[write_outside]='refused write_outside: create /sluice-escape: (Read-only file system|Permission denied)'
	[write_target]='refused write_target: open for writing: No such file or directory'
	[rename_outside]='refused rename_outside: rename to /sluice-escape: (Invalid cross-device link|Read-only file system|Permission denied)'
	[link_outside]='refused link_outside: link into the task dir: (Invalid cross-device link|Permission denied)'
	[ptrace]='sandbox violation: the seccomp filter refused ptrace '
	[process_vm_readv]='sandbox violation: the seccomp filter refused process_vm_readv '
	[kill_supervisor]='refused kill_supervisor: kill of sluiced: No such process'
	[kill_all]='refused kill_all: kill\(-1, SIGKILL\) sent; other processes it could see: none'
	[fork_bomb]='refused fork_bomb: fork refused after [0-9]+ processes: Resource temporarily unavailable'
	[memory_bomb]='refused memory_bomb: malloc refused after [0-9]+ MiB: Cannot allocate memory'
	[fd_exhaust]='refused fd_exhaust: open refused after [0-9]+ descriptors: Too many open files'
	[disk_fill]='refused disk_fill: write refused after [0-9]+ MiB in [0-9]+ files: No space left on device'
	[sockets]='refused sockets: raw socket: Permission denied; packet socket: Address family not supported by protocol; netlink socket: Address family not supported by protocol'
	[kafka]="refused connect: connect to $KAFKA: (Permission denied|Network is unreachable)"
	[kafka_granted]="refused connect: connect to $KAFKA: Permission denied"
	[execve]='sandbox violation: the seccomp filter refused execve '
	[mount]='sandbox violation: the seccomp filter refused mount '
	[unshare]='sandbox violation: the seccomp filter refused unshare '
	[setns]='sandbox violation: the seccomp filter refused setns '
	[chroot]='sandbox violation: the seccomp filter refused chroot '
	[setuid]='sandbox violation: the seccomp filter refused setuid '
	[tiocsti]='sandbox violation: the seccomp filter refused ioctl TIOCSTI'
	[wx_mmap]='sandbox violation: the seccomp filter refused mmap of memory both writable and executable'
	[other_topic]='a record for topic "forbidden", which topics.allowed \(allowed-.*\) does not allow'
)
for a in read_shadow read_file proc_environ proc_mem write_outside \
	write_target rename_outside link_outside ptrace process_vm_readv \
	kill_supervisor kill_all fork_bomb memory_bomb fd_exhaust disk_fill \
	sockets execve mount unshare setns chroot setuid tiocsti wx_mmap; do
	conn "h-$a" "attack=$a" "target.path=$WORK/worker.properties"
done
# link_outside needs a file it can see: /etc/hosts is the sandbox's own
sed -i 's|^target.path=.*|target.path=/etc/hosts|' "$WORK/h-link_outside.properties"
conn h-kafka attack=connect "connect.to=$KAFKA"
conn h-kafka_granted attack=connect "connect.to=$KAFKA" "sandbox.network=$SERVICE"
conn h-granted attack=connect_ok "connect.to=$SERVICE" "sandbox.network=$SERVICE"
conn h-other_topic attack=other_topic topic=allowed-1 other.topic=forbidden \
	'topics.allowed=allowed-.*'
conn h-list_fds attack=list_fds
conn h-busy attack=busy busy.threads=2 sandbox.cpu.max=0.2
# the control: a pipeline that must keep flowing through all of it
cat >"$WORK/ctl-src.properties" <<EOF
name=ctl-src
connector.class=FileStreamSource
file=$WORK/in.txt
topic=ctl
EOF
cat >"$WORK/ctl-sink.properties" <<EOF
name=ctl-sink
connector.class=FileStreamSink
file=$WORK/out.txt
topics=ctl
EOF
: >"$WORK/in.txt"
conns+=("$WORK/ctl-src.properties" "$WORK/ctl-sink.properties")

# sluiced's pid goes into the configs: the bash that writes it execs it
spawn sluiced bash -c 'sed -i "s/@SLUICED_PID@/$$/" "${@:3}"; exec "$1" standalone "$2" "${@:3}"' \
	_ "$BUILD/sluiced" "$WORK/worker.properties" "${conns[@]}"
SLUICED_PID=$SPAWNED_PID
LOG=$WORK/sluiced.err
if ! wait_until 60 sluiced_ready sluiced "$SLUICED_PID" ||
	! grep -q SV-READY "$LOG"; then
	fail "sluiced starts with the hostile connectors" "$(tail -n 20 "$LOG")"
	finish
fi

next=1
append() { # N: appends N numbered lines to the pipeline's input
	local i end=$((next + $1))
	for ((i = next; i < end; i++)); do
		echo "line $i" >>"$WORK/in.txt"
	done
	next=$end
}
append 100
if wait_until 20 has_lines "$WORK/out.txt" 100; then
	ok "the control pipeline flows"
else
	fail "the control pipeline flows" "$(lines "$WORK/out.txt") lines"
fi

failed_line() { # NAME: the FAILED line of the connector's task
	grep -E "SV-UNIT-FAILED task=0 conn=$1 " "$LOG" | tail -n 1
}
has_failed() {
	[[ -n $(failed_line "$1") ]]
}
# The first reason sluiced gave (a second violation, read from the
# frames still queued while the process dies, may replace the trace).
reason_line() {
	local v
	v=$(grep -E "SV-UNIT-VIOLATION task=0 conn=$1 " "$LOG" | head -n 1)
	if [[ -n $v ]]; then
		echo "$v"
	else
		failed_line "$1"
	fi
}
for f in "${conns[@]}"; do
	name=$(basename "$f" .properties)
	[[ $name == h-* && $name != h-granted ]] || continue
	a=${name#h-}
	wait_until 90 has_failed "$name"
	line=$(failed_line "$name")
	if [[ -z $line ]]; then
		fail "$a: the task ends FAILED" \
			"$(grep -E "conn=$name " "$LOG" | tail -n 8)"
		continue
	fi
	if [[ $line == *ESCAPED* ]]; then
		fail "$a: refused" "$line"
		continue
	fi
	line=$(reason_line "$name")
	if [[ -n ${expect[$a]:-} ]]; then
		if grep -Eq -- "${expect[$a]}" <<<"$line"; then
			ok "$a: refused ($(sed -E 's/.*(FAILED|-0): //; s/: killing it$//' <<<"$line"))"
		else
			fail "$a: refused as documented" "$line" \
				"expected: ${expect[$a]}"
		fi
	fi
done

# list_fds: only the channels (stdin /dev/null, the log pipe, the IPC
# socket and the IPC library's epoll and eventfd)
line=$(failed_line h-list_fds)
fds=${line##*fds: }
bad=()
for fd in $fds; do
	case ${fd#*=} in
	/dev/null | pipe:* | socket:* | "anon_inode:[eventpoll]" | "anon_inode:[eventfd]") ;;
	*) bad+=("$fd") ;;
	esac
done
nsock=$(grep -o 'socket:' <<<"$fds" | wc -l)
if [[ -n $fds && ${#bad[@]} -eq 0 && $nsock -eq 1 ]] &&
	grep -Eq '(^| )1=pipe:' <<<"$fds" && grep -Eq '(^| )2=pipe:' <<<"$fds"; then
	ok "list_fds: only its channels ($fds)"
else
	fail "list_fds: only its channels" "$line"
fi

# busy: throttled to sandbox.cpu.max where there is a cgroup
line=$(failed_line h-busy)
cpus=$(grep -oE 'got [0-9.]+ CPUs' <<<"$line" | grep -oE '[0-9.]+')
if grep -q SV-CGROUP-NONE "$LOG"; then
	if [[ -n $cpus ]]; then
		ok "busy: ran at $cpus CPUs (no cgroup here: not throttled; $(grep -o 'no cgroup for tasks ([^)]*' "$LOG" | head -n 1))"
	else
		fail "busy: reports its CPU use" "$line"
	fi
elif [[ -n $cpus ]] && awk -v c="$cpus" 'BEGIN { exit !(c <= 0.35) }'; then
	ok "busy: throttled to $cpus CPUs (sandbox.cpu.max=0.2)"
else
	fail "busy: throttled to sandbox.cpu.max=0.2" "$line"
fi

# granted: the one address it may reach, it reaches
if wait_for_log "$LOG" 'conn=h-granted .*HOSTILE connect_ok: connected to' 20 &&
	wait_for_log "$LOG" 'SV-UNIT-RUNNING task=0 conn=h-granted ' 5; then
	ok "connect to the granted host:port works, and the task runs"
else
	fail "connect to the granted host:port works" \
		"$(grep 'conn=h-granted ' "$LOG" | tail -n 5)"
fi

# deterministic violations are not retried
again=()
for f in "${conns[@]}"; do
	name=$(basename "$f" .properties)
	[[ $name == h-* && $name != h-granted ]] || continue
	n=$(grep -cE "SV-UNIT-SPAWN task=0 conn=$name " "$LOG")
	((n == 1)) || again+=("$name x$n")
done
if [[ ${#again[@]} -eq 0 ]]; then
	ok "no FAILED hostile task was started again"
else
	fail "no FAILED hostile task was started again" "${again[@]}"
fi

# the seccomp refusals show in the log with the call's name
if grep -q 'T INFO TH-OUTPUT task=0 conn=h-ptrace TH-SANDBOX-VIOLATION' "$LOG" ||
	grep -q 'TH-SANDBOX-VIOLATION sandbox violation: the seccomp filter refused ptrace' "$LOG"; then
	ok "a refused system call is named in sluiced's log"
else
	fail "a refused system call is named in sluiced's log" \
		"$(grep 'conn=h-ptrace ' "$LOG" | tail -n 5)"
fi

# nothing got out
if [[ ! -e /sluice-escape ]] && ! grep -q escaped "$WORK/worker.properties"; then
	ok "nothing was written outside the sandbox"
else
	fail "nothing was written outside the sandbox"
fi

if alive "$SLUICED_PID"; then
	ok "sluiced keeps running"
else
	fail "sluiced keeps running" "$(tail -n 20 "$LOG")"
fi
append 100
if wait_until 20 has_lines "$WORK/out.txt" 200; then
	ok "the control pipeline still flows after every attack"
else
	fail "the control pipeline still flows after every attack" \
		"$(lines "$WORK/out.txt") of 200 lines"
fi
stop_pid "$SLUICED_PID" TERM 20
rc=$?
if [[ $rc -eq 0 ]]; then
	ok "sluiced stops cleanly"
else
	fail "sluiced stops cleanly" "exit $rc" "$(tail -n 10 "$LOG")"
fi
finish
