#!/bin/bash
# tests/integration/example_plugin.sh: the plugin tutorial works as
# written. Builds connectors/example/conn_example_source.c out of tree
# with the command from connectors/README.md, puts it alone in a
# plugin.path directory, runs the README's connector config, and reads
# the records back with kcat; then restarts and checks that it resumes.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout cc nm
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

mkdir -p "$WORK/plugins"
if cc -shared -fPIC -fvisibility=hidden -O2 -I"$SLUICE_TOP/connectors" \
	-o "$WORK/plugins/my_source.so" \
	"$SLUICE_TOP/connectors/example/conn_example_source.c" 2>"$WORK/cc.err"; then
	ok "the example builds with the README's command"
else
	fail "the example builds with the README's command" "$(cat "$WORK/cc.err")"
	finish
fi
syms=$(nm -D --defined-only "$WORK/plugins/my_source.so" | awk '{print $3}' | grep -v '^_')
if [[ $syms == conn_plugin ]]; then
	ok "it exports conn_plugin only"
else
	fail "it exports conn_plugin only" "$syms"
fi

if ! start_devkafka --brokers 1 --topic greetings:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
write_worker "$WORK/worker.properties" "plugin.path=$WORK/plugins"
cat >"$WORK/hello.json" <<'EOF'
{"name": "hello", "config": {"connector.class": "CounterSource",
 "topic": "greetings", "max.per.poll": "5", "interval.ms": "100"}}
EOF
if ! start_sluiced s1 standalone "$WORK/worker.properties" "$WORK/hello.json"; then
	fail "sluiced runs the example" "$(tail -n 20 "$WORK/s1.err")"
	finish
fi
timeout 30 kcat -b "$BOOTSTRAP" -C -t greetings -o beginning -c 20 -q \
	>"$WORK/got1.txt"
if cmp -s "$WORK/got1.txt" <(seq 0 19 | sed 's/^/hello /'); then
	ok "records hello 0, hello 1, ... arrive"
else
	fail "records hello 0, hello 1, ... arrive" "$(head -n 5 "$WORK/got1.txt")"
fi
stop_pid "$SLUICED_PID" TERM 20
n=$(timeout 30 kcat -b "$BOOTSTRAP" -C -t greetings -o beginning -e -q | wc -l)
if ! start_sluiced s2 standalone "$WORK/worker.properties"; then
	fail "sluiced restarts" "$(tail -n 20 "$WORK/s2.err")"
	finish
fi
timeout 30 kcat -b "$BOOTSTRAP" -C -t greetings -o beginning -c $((n + 10)) -q \
	>"$WORK/got2.txt"
if cmp -s "$WORK/got2.txt" <(seq 0 $((n + 9)) | sed 's/^/hello /'); then
	ok "after a clean restart it resumes where it stopped ($n records before)"
else
	fail "after a clean restart it resumes where it stopped" \
		"$(sed -n "$((n - 2)),$((n + 3))p" "$WORK/got2.txt")"
fi
stop_pid "$SLUICED_PID" TERM 20
finish
