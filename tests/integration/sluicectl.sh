#!/bin/bash
# tests/integration/sluicectl.sh: the admin CLI against a real sluiced
# (embedded Kafka), over the admin socket and over --url.
#
# 1. Every command, in table form and with -o json: version, get plugins
#    (--all), apply -f (properties, JSON from stdin, flat JSON,
#    initial_state), get connectors, describe connector (config with
#    [hidden] passwords, status with traces, offsets), get offsets, pause,
#    resume, stop, restart connector (--include-tasks, --only-failed),
#    restart task, reset offsets, delete connector; --help for each.
# 2. Error paths: unknown connector, invalid config, an existing connector
#    created again, offsets reset while running, unknown task, bad input
#    files, bad usage; each with the server's message and the documented
#    exit status (1 server error, 2 usage or input, 3 unreachable).
# 3. Names that need care: UTF-8 (aligned by display width), spaces,
#    path tricks ("../"), escape sequences that must not reach the terminal.
# 4. The same API over --url: plain HTTP, HTTPS with --cacert or
#    --insecure, HTTP Basic authentication (--user, SLUICE_USER,
#    SLUICE_PASSWORD), refused without or with wrong credentials.
# 5. The server down: a clear message naming the socket or URL, exit 3.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd timeout jq openssl
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluicectl" \
	"$BUILD/test-plugins/start_fails.so"

CTL=$BUILD/sluicectl
SOCK=$WORK/state/admin.sock
BOOTSTRAP= # the embedded cluster

# Connection settings must come from the command line only.
unset SLUICE_ADMIN_SOCKET SLUICE_URL SLUICE_USER SLUICE_PASSWORD NO_COLOR

# run ARGS...: runs sluicectl; sets RC, OUT (stdout) and ERR (stderr).
# Every stderr is kept in sluicectl.err, where finish looks for sanitizer
# reports.
run() {
	OUT=$(timeout 30 "$CTL" "$@" 2>"$WORK/ctl.err" </dev/null)
	RC=$?
	ERR=$(cat "$WORK/ctl.err")
	cat "$WORK/ctl.err" >>"$WORK/sluicectl.err"
}
# sctl ARGS...: run over the admin socket.
sctl() {
	run --socket "$SOCK" "$@"
}

# expect_out NAME PATTERN: the last run exited 0 and its stdout matches
# the extended regex PATTERN.
expect_out() {
	if [[ $RC -eq 0 ]] && grep -Eq -- "$2" <<<"$OUT"; then
		ok "$1"
	else
		fail "$1" "exit $RC, stdout:" "$OUT" "stderr:" "$ERR"
	fi
}
# expect_json NAME FILTER: the last run exited 0 and jq -e FILTER holds
# on its stdout.
expect_json() {
	if [[ $RC -eq 0 ]] && jq -e "$2" >/dev/null 2>&1 <<<"$OUT"; then
		ok "$1"
	else
		fail "$1" "exit $RC, jq -e '$2' on:" "$OUT" "stderr:" "$ERR"
	fi
}
# expect_err NAME RC PATTERN: the last run exited RC, printed nothing on
# stdout, and its stderr matches PATTERN.
expect_err() {
	if [[ $RC -eq $2 && -z $OUT ]] && grep -Eq -- "$3" <<<"$ERR"; then
		ok "$1"
	else
		fail "$1" "exit $RC (want $2), stdout:" "$OUT" "stderr:" "$ERR"
	fi
}

# state_is NAME STATE [TASK]: the connector's (or task's) state.
state_is() {
	local s
	s=$(timeout 10 "$CTL" --socket "$SOCK" -o json get connectors 2>/dev/null |
		jq -r --arg n "$1" --arg t "${3:-}" \
			'if $t == "" then .[$n].status.connector.state
			 else (.[$n].status.tasks[] | select(.id == ($t | tonumber)) | .state)
			 end' 2>/dev/null)
	[[ $s == "$2" ]]
}

# --- a sluiced with an admin socket, HTTP and HTTPS listeners, and Basic
# authentication on the TCP ones ---------------------------------------------

mkdir -p "$WORK/plugins"
cp "$BUILD/test-plugins/start_fails.so" "$WORK/plugins/"
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	>"$WORK/openssl.out" 2>&1; then
	fail "test certificate" "$(cat "$WORK/openssl.out")"
	finish
fi
echo "alice:$(openssl passwd -6 's3cret:pw')" >"$WORK/users"
write_worker "$WORK/worker.properties" \
	"plugin.path=$BUILD/plugins,$WORK/plugins" \
	"embedded.topics=lines:1,counts:1" \
	"listeners=http://127.0.0.1:0,https://127.0.0.1:0" \
	"listeners.https.ssl.certificate.location=$WORK/cert.pem" \
	"listeners.https.ssl.key.location=$WORK/key.pem" \
	"rest.basic.auth.file=$WORK/users"
if ! start_sluiced sluiced standalone "$WORK/worker.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
LOG=$WORK/sluiced.err
URL=$(grep -Eo 'REST API on http://127\.0\.0\.1:[0-9]+' "$LOG" | head -n 1 |
	sed 's/REST API on //')
HTTPS=$(grep -Eo 'REST API on https://127\.0\.0\.1:[0-9]+' "$LOG" | head -n 1 |
	sed 's/REST API on //')

# --- help and usage ---------------------------------------------------------

helps_ok=1
for cmd in "" "get" "get connectors" "get plugins" "get offsets" \
	"describe connector" "apply" "delete connector" "pause connector" \
	"resume connector" "stop connector" "restart connector" \
	"restart task" "reset offsets" "version"; do
	# shellcheck disable=SC2086 # split the command words
	run $cmd --help
	if [[ $RC -ne 0 || $OUT != usage:\ sluicectl* ]]; then
		helps_ok=0
		fail "--help for '$cmd'" "exit $RC" "$OUT" "$ERR"
	fi
done
((helps_ok)) && ok "--help for every command"

run
expect_err "no command: usage, exit 2" 2 "^usage: sluicectl"
run frobnicate
expect_err "unknown command: exit 2" 2 'unknown command "frobnicate"'
run get widgets
expect_err "unknown resource: exit 2 with the choices" 2 "get connectors"
run -o yaml get connectors
expect_err "bad -o: exit 2" 2 "expected table or json"
run --socket "$SOCK" --url "$URL" get connectors
expect_err "--socket with --url: exit 2" 2 "not both"
run get connectors --all
expect_err "an option of another command: exit 2" 2 "--all does not apply"
run describe connector
expect_err "a missing argument: exit 2" 2 "missing arguments"
run restart task src abc
expect_err "a task id that is not a number: exit 2" 2 "task id"
run restart task src 99999999999999999999
expect_err "a task id out of range: exit 2" 2 "task id"
run --timeout -1 get connectors
expect_err "a bad --timeout: exit 2" 2 "timeout"
run --url ftp://127.0.0.1/ get connectors
expect_err "a --url that is not http(s): exit 2" 2 "invalid --url"
run --socket "$WORK/$(printf 'x%.0s' {1..120})" get connectors
expect_err "a socket path too long: exit 2" 2 "too long"
run version --client
expect_out "version --client needs no server" "^Client version: +[0-9]"
run -V
expect_out "-V prints the client version" "^sluicectl [0-9]"

# --- version and plugins ---------------------------------------------------

sctl version
expect_out "version: client and server" "Server version: +[0-9]"
sctl version -o json
expect_json "version -o json: client and server objects" \
	'.client.version and .server.version and (.server | has("kafka_cluster_id"))'
sctl get plugins
expect_out "get plugins: a table of connector plugins" \
	"^source +org\.apache\.kafka\.connect\.file\.FileStreamSourceConnector +[0-9]"
if [[ $RC -eq 0 ]] && ! grep -q "^converter" <<<"$OUT" &&
	[[ $(head -n 1 <<<"$OUT") =~ ^TYPE\ +CLASS\ +VERSION$ ]]; then
	ok "get plugins: header, and no converters without --all"
else
	fail "get plugins: header, and no converters without --all" "$OUT"
fi
sctl get plugins --all
expect_out "get plugins --all: converters too" \
	"^converter +org\.apache\.kafka\.connect\.storage\.StringConverter"
sctl get plugins -o json
expect_json "get plugins -o json: the server's array" \
	'length > 0 and all(.[]; .class and .type) and any(.[]; .class == "StartFails")'

# --- apply ------------------------------------------------------------------

sctl get connectors
if [[ $RC -eq 0 && $OUT =~ ^NAME\ +TYPE\ +STATE\ +TASKS$ ]]; then
	ok "get connectors on an empty worker: the header only"
else
	fail "get connectors on an empty worker: the header only" "$OUT" "$ERR"
fi
sctl get connectors -o json
expect_json "get connectors -o json on an empty worker: {}" '. == {}'

: >"$WORK/in.txt"
cat >"$WORK/src.properties" <<EOF
# a comment, as connect-standalone takes it
name=src
connector.class=FileStreamSource
file=$WORK/in.txt
topic=lines
EOF
sctl apply -f "$WORK/src.properties"
expect_out "apply -f FILE.properties creates" "^Created connector src$"
wait_until 20 state_is src RUNNING 0 # updated once it runs
sctl apply -f "$WORK/src.properties"
expect_out "apply -f again updates" "^Updated connector src$"

# run takes stdin from /dev/null: here it is the JSON
OUT=$(timeout 30 "$CTL" --socket "$SOCK" apply -f - 2>"$WORK/ctl.err" <<EOF
{"name": "sink", "config": {"connector.class": "FileStreamSink",
 "tasks.max": 1, "topics": "lines", "file": "$WORK/out.txt"}}
EOF
)
RC=$?
ERR=$(cat "$WORK/ctl.err")
expect_out "apply -f - reads {\"name\",\"config\"} JSON from stdin" \
	"^(Created|Updated) connector sink$"

cat >"$WORK/fail.json" <<EOF
{"name": "fail", "connector.class": "StartFails", "topic": "lines"}
EOF
sctl apply -f "$WORK/fail.json" -o json
expect_json "apply -f flat.json -o json: the server's connector info" \
	'.name == "fail" and .config["connector.class"] == "StartFails"'

cat >"$WORK/held.json" <<EOF
{"name": "held", "initial_state": "STOPPED",
 "config": {"connector.class": "CounterSource", "topic": "counts",
            "producer.override.sasl.password": "hunter2",
            "x.note": "a\\u001b[2Jb\\u202ec"}}
EOF
sctl apply -f "$WORK/held.json"
expect_out "apply with initial_state creates the connector" \
	"^Created connector held$"
if wait_until 10 state_is held STOPPED; then
	ok "apply with initial_state STOPPED: the connector is STOPPED"
else
	fail "apply with initial_state STOPPED: the connector is STOPPED" \
		"$(timeout 10 "$CTL" --socket "$SOCK" get connectors 2>&1)"
fi
sctl apply -f "$WORK/held.json"
expect_out "apply of an existing connector with initial_state updates it" \
	"^Updated connector held$"

# --- get connectors, describe, offsets ---------------------------------------

if wait_until 20 state_is src RUNNING 0 && wait_until 20 state_is sink RUNNING 0; then
	ok "the applied connectors run"
else
	fail "the applied connectors run" \
		"$(timeout 10 "$CTL" --socket "$SOCK" get connectors 2>&1)"
fi
wait_until 20 state_is fail FAILED 0
sctl get connectors
expect_out "get connectors: one row per connector with its tasks" \
	"^src +source +RUNNING +0: RUNNING$"
# columns line up: every cell of the TYPE column starts where its header does
col=$(head -n 1 <<<"$OUT" | awk '{ print index($0, "TYPE") }')
bad=$(awk -v c="$col" 'NR > 1 && substr($0, c - 2, 3) !~ /^  [a-z]$/' <<<"$OUT")
if [[ $RC -eq 0 && -z $bad && $(wc -l <<<"$OUT") -eq 5 ]] &&
	grep -Eq "^fail +source +(FAILED|RUNNING) +0: FAILED$" <<<"$OUT" &&
	grep -Eq "^held +source +STOPPED +-$" <<<"$OUT"; then
	ok "get connectors: aligned columns, failed and stopped connectors"
else
	fail "get connectors: aligned columns, failed and stopped connectors" "$OUT"
fi
sctl get connectors -o json
expect_json "get connectors -o json: the answer to ?expand=status" \
	'.src.status.connector.state == "RUNNING" and .sink.status.type == "sink" and (keys | length) == 4'

printf 'one\ntwo\nthree\n' >>"$WORK/in.txt"
if wait_until 20 has_lines "$WORK/out.txt" 3; then
	ok "records flow from src to sink"
else
	fail "records flow from src to sink" "$(cat "$WORK/out.txt" 2>/dev/null)"
fi
offsets_of_src() {
	timeout 10 "$CTL" --socket "$SOCK" get offsets src 2>/dev/null |
		grep -q '"position":14}$'
}
wait_until 10 offsets_of_src
sctl get offsets src
expect_out "get offsets: partition and offset as JSON" \
	"^\{\"filename\":\"$WORK/in.txt\"\} +\{\"position\":14\}$"
sctl get offsets src -o json
expect_json "get offsets -o json: Kafka Connect's offsets object" \
	'.offsets | length == 1 and .[0].offset.position == 14'

sctl describe connector src
if [[ $RC -eq 0 ]] &&
	grep -Eq "^Name: +src$" <<<"$OUT" &&
	grep -Eq "^Type: +source$" <<<"$OUT" &&
	grep -Eq "^State: +RUNNING$" <<<"$OUT" &&
	grep -Eq "^Worker ID: +[^ ]+" <<<"$OUT" &&
	grep -Eq "^  file: +$WORK/in.txt$" <<<"$OUT" &&
	grep -Eq "^  connector.class: +FileStreamSource$" <<<"$OUT" &&
	grep -Eq "^  0:$" <<<"$OUT" &&
	grep -Eq "^    State: +RUNNING$" <<<"$OUT" &&
	grep -Eq "^  \{\"filename\":\"$WORK/in.txt\"\} +\{\"position\":14\}$" <<<"$OUT"; then
	ok "describe connector: config, status, tasks and offsets"
else
	fail "describe connector: config, status, tasks and offsets" "$OUT" "$ERR"
fi
sctl describe connector src -o json
expect_json "describe -o json: info, status and offsets" \
	'.info.name == "src" and .info.config.file and .status.connector.state == "RUNNING" and (.offsets.offsets | length) == 1'

sctl describe connector fail
if [[ $RC -eq 0 ]] && grep -Eq "^    State: +FAILED$" <<<"$OUT" &&
	grep -Eq "^    Trace:$" <<<"$OUT" &&
	grep -Eq "^      .*start failed on purpose" <<<"$OUT"; then
	ok "describe a failed task: its state and trace"
else
	fail "describe a failed task: its state and trace" "$OUT" "$ERR"
fi

sctl describe connector held
if [[ $RC -eq 0 ]] &&
	grep -Eq "^  producer\.override\.sasl\.password: +\[hidden\]$" <<<"$OUT" &&
	! grep -q hunter2 <<<"$OUT" && grep -Eq "^State: +STOPPED$" <<<"$OUT" &&
	grep -Eq "^Tasks: +none$" <<<"$OUT"; then
	ok "describe: a password shows as [hidden]"
else
	fail "describe: a password shows as [hidden]" "$OUT" "$ERR"
fi
if [[ $RC -eq 0 ]] && ! grep -q $'\e' <<<"$OUT" &&
	grep -Eq '^  x\.note: +a\\x1b\[2Jb\\u202ec$' <<<"$OUT"; then
	ok "describe: control and bidi characters in values are escaped"
else
	fail "describe: control and bidi characters in values are escaped" \
		"$(cat -v <<<"$OUT")"
fi

# --- lifecycle ----------------------------------------------------------------

sctl pause connector src
expect_out "pause connector" "^Paused connector src$"
if wait_until 10 state_is src PAUSED; then
	ok "pause: the connector is PAUSED"
else
	fail "pause: the connector is PAUSED"
fi
sctl resume connector src
expect_out "resume connector" "^Resumed connector src$"
if wait_until 10 state_is src RUNNING 0; then
	ok "resume: the connector runs again"
else
	fail "resume: the connector runs again"
fi
sctl restart connector src
expect_out "restart connector" "^Restarted connector src$"
wait_until 10 state_is src RUNNING 0
sctl restart connector src --include-tasks
if [[ $RC -eq 0 && $(sed -n 1p <<<"$OUT") == "Restarting connector src" ]] &&
	[[ $(sed -n 2p <<<"$OUT") =~ ^INSTANCE\ +STATE\ +WORKER$ ]] &&
	grep -Eq "^connector +RESTARTING " <<<"$OUT" &&
	grep -Eq "^task 0 +RESTARTING " <<<"$OUT"; then
	ok "restart --include-tasks: the instances restarting"
else
	fail "restart --include-tasks: the instances restarting" "$OUT" "$ERR"
fi
wait_until 10 state_is src RUNNING 0
sctl restart connector fail --include-tasks --only-failed -o json
expect_json "restart --include-tasks --only-failed -o json: the failed task restarts" \
	'.name == "fail" and .connector.state == "RUNNING" and .tasks[0].state == "RESTARTING"'
sctl restart task src 0
expect_out "restart task NAME ID" "^Restarted task 0 of connector src$"
wait_until 10 state_is src RUNNING 0
sctl restart task src/0 -o json
if [[ $RC -eq 0 && -z $OUT ]]; then
	ok "restart task NAME/ID -o json: 204, no output"
else
	fail "restart task NAME/ID -o json: 204, no output" "exit $RC" "$OUT" "$ERR"
fi
wait_until 10 state_is src RUNNING 0

sctl reset offsets src
expect_err "reset offsets of a running connector: refused (400)" 1 \
	"^sluicectl: error 400: .*STOPPED"
sctl stop connector src
expect_out "stop connector" "^Stopped connector src$"
if wait_until 10 state_is src STOPPED; then
	ok "stop: the connector is STOPPED"
else
	fail "stop: the connector is STOPPED"
fi
sctl reset offsets src
expect_out "reset offsets of a stopped connector" "reset successfully"
sctl get offsets src
if [[ $RC -eq 0 && $OUT =~ ^PARTITION\ +OFFSET$ ]]; then
	ok "get offsets after a reset: none left"
else
	fail "get offsets after a reset: none left" "$OUT" "$ERR"
fi
sctl reset offsets src -o json
expect_json "reset offsets -o json: the server's message" '.message | test("reset")'

sctl delete connector src
expect_out "delete connector" "^Deleted connector src$"
sctl get connectors
if [[ $RC -eq 0 ]] && ! grep -q "^src " <<<"$OUT"; then
	ok "delete: the connector is gone"
else
	fail "delete: the connector is gone" "$OUT"
fi

# --- errors from the server --------------------------------------------------

for cmd in "describe connector" "delete connector" "pause connector" \
	"resume connector" "stop connector" "restart connector" "get offsets" \
	"reset offsets"; do
	# shellcheck disable=SC2086
	sctl $cmd nope
	expect_err "$cmd of an unknown connector: 404" 1 \
		"^sluicectl: error 404: .*nope"
	# shellcheck disable=SC2086
	sctl $cmd nope -o json
	expect_err "$cmd -o json of an unknown connector: 404" 1 \
		"^sluicectl: error 404: .*nope"
done
sctl restart task sink 7
expect_err "restart of an unknown task: 404" 1 "^sluicectl: error 404: "

printf 'name=broken\ntopic=lines\n' >"$WORK/broken.properties"
sctl apply -f "$WORK/broken.properties"
expect_err "apply of an invalid config: 400" 1 "^sluicectl: error 400: "
if grep -q 'connector\.class' <<<"$ERR"; then
	ok "apply of an invalid config: the message names the key"
else
	fail "apply of an invalid config: the message names the key" "$ERR"
fi
printf 'name=broken\nconnector.class=CounterSource\nmax.per.poll=0\n' \
	>"$WORK/broken.properties"
sctl apply -f "$WORK/broken.properties" -o json
expect_err "apply -o json of an invalid config: 400, every error shown" 1 \
	"^sluicectl: error 400: "
if grep -q "max.per.poll" <<<"$ERR" && grep -q "topic" <<<"$ERR"; then
	ok "apply of an invalid config: the message names each key"
else
	fail "apply of an invalid config: the message names each key" "$ERR"
fi
sctl get connectors
if ! grep -q "^broken " <<<"$OUT"; then
	ok "a rejected config creates nothing"
else
	fail "a rejected config creates nothing" "$OUT"
fi

# --- bad input files -----------------------------------------------------------

sctl apply -f "$WORK/missing.json"
expect_err "apply of a missing file: exit 2 naming it" 2 "missing\.json"
printf '{"name": "x", "config": {"a": }}\n' >"$WORK/bad.json"
sctl apply -f "$WORK/bad.json"
expect_err "apply of malformed JSON: exit 2 with the position" 2 \
	"bad\.json:1:"
printf 'connector.class=CounterSource\n' >"$WORK/noname.properties"
sctl apply -f "$WORK/noname.properties"
expect_err "apply of a file without a name: exit 2" 2 "name"
sctl apply
expect_err "apply without -f: exit 2" 2 "needs -f"
printf '{"name": "evil\\u001b[2J\\u001b[31m", "config": {}}\n' >"$WORK/evil.json"
sctl apply -f "$WORK/evil.json"
if [[ $RC -eq 2 ]] && ! grep -q $'\e' "$WORK/ctl.err"; then
	ok "an escape sequence in a name is refused, and not printed raw"
else
	fail "an escape sequence in a name is refused, and not printed raw" \
		"exit $RC" "$(cat -v "$WORK/ctl.err")"
fi

# --- names that need care --------------------------------------------------------

sctl delete connector fail
sctl delete connector held
sctl delete connector sink
wide=$'donn\u00e9es \u6f22\u5b57' # 12 columns on a terminal, 17 bytes
printf '{"name": "%s", "config": {"connector.class": "CounterSource", "topic": "counts", "interval.ms": 100000}}\n' \
	"$wide" >"$WORK/wide.json"
printf '{"name": "x y", "config": {"connector.class": "CounterSource", "topic": "counts", "interval.ms": 100000}}\n' \
	>"$WORK/space.json"
sctl apply -f "$WORK/wide.json"
expect_out "a UTF-8 name is created" "^Created connector $wide$"
sctl apply -f "$WORK/space.json"
expect_out "a name with a space is created" "^Created connector x y$"
wait_until 20 state_is "$wide" RUNNING 0
wait_until 20 state_is "x y" RUNNING 0
sctl get connectors
want="NAME          TYPE    STATE    TASKS
$wide  source  RUNNING  0: RUNNING
x y           source  RUNNING  0: RUNNING"
if [[ $RC -eq 0 && $OUT == "$want" ]]; then
	ok "get connectors: columns aligned by display width"
else
	fail "get connectors: columns aligned by display width" "$OUT" "want:" "$want"
fi
sctl describe connector "$wide"
expect_out "describe a UTF-8 name (percent-encoded in the URL)" "^Name: +$wide$"
sctl describe connector "x y" -o json
expect_json "describe a name with a space" '.info.name == "x y"'
sctl describe connector "../../connector-plugins"
expect_err "a name with ../ stays one path segment" 1 "^sluicectl: error 404: "
sctl describe connector ""
if [[ $RC -ge 1 && $RC -le 3 ]]; then
	ok "an empty name: an error, no crash"
else
	fail "an empty name: an error, no crash" "exit $RC" "$ERR"
fi

# --- environment -------------------------------------------------------------

OUT=$(SLUICE_ADMIN_SOCKET=$SOCK timeout 30 "$CTL" get connectors 2>&1)
RC=$?
expect_out "SLUICE_ADMIN_SOCKET names the socket" "^x y +source"
if [[ $(id -u) -ne 0 ]]; then
	# sluiced's default state dir is $XDG_STATE_HOME/sluice
	mkdir -p "$WORK/xdg"
	ln -s "$WORK/state" "$WORK/xdg/sluice"
	OUT=$(XDG_STATE_HOME=$WORK/xdg timeout 30 "$CTL" get connectors 2>&1)
	RC=$?
	expect_out "the default socket is sluiced's: \$XDG_STATE_HOME/sluice/admin.sock" \
		"^x y +source"
else
	run --help
	expect_out "the default socket is sluiced's: /var/lib/sluice/admin.sock for root" \
		"else /var/lib/sluice/admin\.sock\)"
fi

# --- over TCP: HTTP and HTTPS, with Basic authentication --------------------

if [[ -z $URL || -z $HTTPS ]]; then
	fail "sluiced listens on http and https" "$(grep REST "$LOG")"
else
	run --url "$URL" get connectors
	expect_err "--url without credentials: 401" 1 "^sluicectl: error 401: "
	run --url "$URL" --user alice:wrong get connectors
	expect_err "--url with a wrong password: 401" 1 "^sluicectl: error 401: "
	run --url "$URL" --user alice:'s3cret:pw' get connectors
	expect_out "--url http:// with --user USER:PASSWORD" "^x y +source"
	OUT=$(SLUICE_USER=alice SLUICE_PASSWORD='s3cret:pw' timeout 30 \
		"$CTL" --url "$URL" describe connector "x y" 2>&1 </dev/null)
	RC=$?
	expect_out "SLUICE_USER and SLUICE_PASSWORD" "^Name: +x y$"
	OUT=$(SLUICE_URL=$URL SLUICE_USER='alice:s3cret:pw' timeout 30 \
		"$CTL" get connectors -o json 2>&1 </dev/null)
	RC=$?
	expect_json "SLUICE_URL and SLUICE_USER=USER:PASSWORD" 'has("x y")'
	run --url "$URL" --user alice get connectors
	expect_err "--user without a password and no terminal: exit 2" 2 \
		"no password for user \"alice\""
	run --url "$URL" --user alice:'s3cret:pw' describe connector nope
	expect_err "--url: an unknown connector is 404 as on the socket" 1 \
		"^sluicectl: error 404: .*nope"

	run --url "$HTTPS" --user alice:'s3cret:pw' get connectors
	expect_err "https without the CA: refused, exit 3" 3 "TLS|certificate"
	run --url "$HTTPS" --cacert "$WORK/cert.pem" --user alice:'s3cret:pw' \
		get connectors
	expect_out "https with --cacert" "^x y +source"
	run --url "$HTTPS" --insecure --user alice:'s3cret:pw' version -o json
	expect_json "https with --insecure" '.server.version'
	run --url "$HTTPS" --cacert "$WORK/cert.pem" get connectors
	expect_err "https without credentials: 401" 1 "^sluicectl: error 401: "
	run --url "$HTTPS" --cacert "$WORK/cert.pem" --user alice:'s3cret:pw' \
		-o json apply -f "$WORK/src.properties"
	expect_json "apply over https" '.name == "src"'
fi

# --- the server down ---------------------------------------------------------

stop_pid "$SLUICED_PID" TERM 20
sctl get connectors
expect_err "sluiced down: exit 3 naming the socket" 3 \
	"cannot reach sluiced at unix socket $SOCK"
sctl describe connector src -o json
expect_err "sluiced down, -o json: exit 3" 3 "cannot reach sluiced"
run --url "$URL" --user alice:x get connectors
expect_err "sluiced down: exit 3 naming the URL" 3 "cannot reach $URL"

finish
