#!/bin/bash
# tests/integration/rest_api.sh: Kafka Connect's REST API over TCP (or,
# with REST_VIA=socket, every request over the admin socket: see
# rest_socket.sh), on a real sluiced (embedded Kafka): every endpoint's
# success path with Kafka
# Connect's status codes and JSON shapes, the documented error paths (bad
# JSON, unknown connector or path, duplicate create, invalid config naming
# the key, offsets change while running, wrong method, oversized body,
# wrong media types), "[hidden]" passwords, the root logger at run time,
# and connectors created over REST surviving a restart of sluiced.
. "$(dirname "$0")/rest_lib.sh"

lib_init
require_cmd curl jq timeout
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/test-plugins/secret_source.so"

if ! rest_start sluiced "embedded.topics=lines:1"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
seq 1 20 >"$WORK/in.txt"
VIA=${REST_VIA:-tcp}
if [[ $VIA == socket ]]; then
	LOC='http://localhost/connectors'
else
	LOC='http://127\.0\.0\.1:[0-9]+/connectors'
fi

# helpers for wait_until
topics_has_lines() {
	rcurl /connectors/src/topics | grep -q lines
}
position_is() {
	rcurl /connectors/src/offsets | jq -e --argjson p "$1" '.offsets[0].offset.position == $p' >/dev/null
}

# --- root, health, plugins ---------------------------------------------------

req GET /
expect "GET / gives version, commit and the Kafka cluster id" 200 \
	"(keys_unsorted == [\"version\",\"commit\",\"kafka_cluster_id\",\"worker_id\"]) and .version == \"$(cat "$SLUICE_TOP/VERSION")\" and (.kafka_cluster_id | type == \"string\" and length > 0)"
# listeners at port 0: the worker id has the port taken, not 0 (standalone:
# no "leader")
expect "GET /: worker_id is the bound host:port" 200 \
	".worker_id == \"${URL#http://}\" and (has(\"leader\") | not)"
req GET /health
expect "GET /health: healthy" 200 \
	'.status == "healthy" and .message == "Worker has completed startup and is ready to handle requests."'
req GET /connector-plugins
expect "GET /connector-plugins: connectors only, sinks first, Kafka class names" 200 \
	'(map(.type) | unique == ["sink","source"]) and (map(.type) == (map(.type) | sort)) and any(.[]; .class == "org.apache.kafka.connect.file.FileStreamSourceConnector" and .type == "source" and .version == "0.1.0") and any(.[]; .class == "SecretSource")'
req GET "/connector-plugins?connectorsOnly=false"
expect "?connectorsOnly=false adds converters and header converters" 200 \
	'any(.[]; .class == "org.apache.kafka.connect.storage.StringConverter" and .type == "converter") and any(.[]; .class == "org.apache.kafka.connect.storage.SimpleHeaderConverter" and .type == "header_converter") and all(.[]; .class != "org.apache.kafka.connect.storage.SimpleHeaderConverter" or .type == "header_converter")'
req GET /connector-plugins/FileStreamSource/config
expect "plugin config: the plugin's options, then the common keys" 200 \
	'.[0].name == "file" and .[0].required == true and .[0].type == "STRING" and (.[0] | keys_unsorted) == ["name","type","required","default_value","importance","documentation","group","width","display_name","dependents","order"] and any(.[]; .name == "connector.class" and .group == "Common") and any(.[]; .name == "tasks.max" and .default_value == "1")'
req GET /connector-plugins/org.apache.kafka.connect.json.JsonConverter/config
expect "converter config definitions" 200 \
	'any(.[]; .name == "schemas.enable" and .type == "BOOLEAN" and .default_value == "true")'
req GET /connector-plugins/NoSuchPlugin/config
expect_error "unknown plugin: 404" 404 '^Unknown plugin NoSuchPlugin\.$'

# --- validation ----------------------------------------------------------------

req PUT /connector-plugins/FileStreamSource/config/validate \
	'{"connector.class":"FileStreamSource","name":"v","tasks.max":"x"}'
expect "validate: ConfigInfos with every error by key" 200 \
	'(keys_unsorted == ["name","error_count","groups","configs"]) and .name == "FileStreamSource" and .error_count == ([.configs[].value.errors[]] | length) and (.groups | index("Common")) != null and ([.configs[] | select(.value.errors | length > 0) | .value.name] | sort) == ["file","tasks.max","topic"] and (.configs[0] | keys_unsorted) == ["definition","value"] and (.configs[0].value | keys_unsorted) == ["name","value","recommended_values","errors","visible"]'
req PUT /connector-plugins/FileStreamSource/config/validate \
	'{"name":"v","file":"/x","topic":"t","extra":null}'
expect "validate: a valid config has no errors but a null value's" 200 \
	'.error_count == 1 and (.configs[] | select(.value.name == "extra") | .definition == null and .value.errors == ["Null value can not be supplied as the configuration value."])'
req PUT /connector-plugins/FileStreamSource/config/validate \
	'{"connector.class":"FileStreamSink","name":"v"}'
expect_error "validate: connector.class not the path's plugin: 400" 400 \
	'^Included connector type FileStreamSink does not match request type FileStreamSource$'
req PUT /connector-plugins/FileStreamSource/config/validate '{"name":'
expect_error "validate: malformed JSON: 400" 400 'Invalid JSON'
req PUT /connector-plugins/Nope/config/validate '{}'
expect_error "validate: unknown plugin: 404" 404 'Unknown plugin Nope'

# --- create --------------------------------------------------------------------

SRC='{"name":"src","config":{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"}}'
req POST /connectors "$SRC"
expect "POST /connectors: 201 with ConnectorInfo" 201 \
	"(keys_unsorted == [\"name\",\"config\",\"tasks\",\"type\"]) and .name == \"src\" and .type == \"source\" and .config.file == \"$WORK/in.txt\" and .config.name == \"src\""
if grep -Eiq "^Location: $LOC/src"$'\r'"?$" <<<"$HDRS"; then
	ok "POST /connectors: Location header"
else
	fail "POST /connectors: Location header" "$HDRS"
fi
req POST /connectors "$SRC"
expect_error "POST an existing connector: 409" 409 '^Connector src already exists$'
req POST /connectors '{"name":"bad","config":{"connector.class":"FileStreamSource","topic":"lines"}}'
expect_error "POST an invalid config: 400 naming the key" 400 \
	'^Connector configuration is invalid and contains the following 1 error\(s\):'$'\n''Missing required configuration "file" which has no default value\.'
req GET /connectors/bad
expect_error "a rejected create leaves nothing behind" 404 '^Connector bad not found$'
req POST /connectors '{"name":"bad","config":{"connector.class":"NoSuchThing"}}'
expect_error "POST with an unknown connector.class: 400" 400 'NoSuchThing'
req POST /connectors '{"name":"x","config":{"connector.class":"FileStreamSource",'
expect_error "POST malformed JSON: 400" 400 '^Invalid JSON in the request body'
req POST /connectors '{"name":"x","name":"y","config":{}}'
expect_error "POST duplicate keys: 400" 400 'duplicate'
req POST /connectors '["src"]'
expect_error "POST a JSON array: 400" 400 'request body'
req POST /connectors "$SRC" text/plain
expect_error "POST text/plain: 415" 415 'Unsupported Media Type'
CURL_OPTS=(-H 'Accept: text/html')
req GET /connectors
CURL_OPTS=()
expect_error "Accept: text/html: 406" 406 'Not Acceptable'

# two creates of one name at once: one wins, the other is refused
racers=()
for i in 1 2; do
	rcurl /connectors -o "$WORK/race$i.body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' --data-binary \
		'{"name":"race","config":{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"}}' \
		>"$WORK/race$i.code" &
	racers+=($!)
done
wait "${racers[@]}"
codes=$(sort "$WORK/race1.code" "$WORK/race2.code" | tr '\n' ' ')
if [[ $codes == "201 409 " ]]; then
	ok "concurrent creates of one name: 201 and 409"
else
	fail "concurrent creates of one name: 201 and 409" "$codes" "$(cat "$WORK"/race*.body)"
fi
req DELETE /connectors/race
expect "DELETE /connectors/{name}: 204" 204
req GET /connectors/race
expect_error "a deleted connector is gone" 404 '^Connector race not found$'
req DELETE /connectors/race
expect_error "DELETE an unknown connector: 404" 404 '^Connector race not found$'

# --- reading ----------------------------------------------------------------

if wait_until 20 task_state_is src 0 RUNNING; then
	ok "src runs"
else
	fail "src runs" "$(grep conn=src "$LOG" | tail -n 5)"
fi
req GET /connectors
expect "GET /connectors: the names" 200 '. == ["src"]'
req GET "/connectors?expand=status&expand=info"
expect "?expand=status&expand=info" 200 \
	'.src.status.connector.state == "RUNNING" and .src.info.name == "src" and .src.info.tasks == [{"connector":"src","task":0}]'
req GET "/connectors?expand=status"
expect "?expand=status alone" 200 '(.src | keys) == ["status"]'
req GET /connectors/src
expect "GET /connectors/{name}" 200 \
	'.name == "src" and .tasks == [{"connector":"src","task":0}] and .type == "source"'
req GET /connectors/src/config
expect "GET .../config" 200 ".\"connector.class\" == \"FileStreamSource\" and .name == \"src\" and .topic == \"lines\""
req GET /connectors/src/status
expect "GET .../status: ConnectorStateInfo" 200 \
	'(keys_unsorted == ["name","connector","tasks","type"]) and .connector.state == "RUNNING" and (.connector.worker_id | type) == "string" and (.tasks[0] | .id == 0 and .state == "RUNNING") and (.tasks[0] | keys_unsorted)[0:3] == ["id","state","worker_id"]'
req GET /connectors/nope/status
expect_error "status of an unknown connector: 404" 404 '^No status found for connector nope$'
req GET /connectors/src/tasks
expect "GET .../tasks: TaskInfo list" 200 \
	".[0].id == {\"connector\":\"src\",\"task\":0} and .[0].config.file == \"$WORK/in.txt\""
req GET /connectors/src/tasks-config
expect "GET .../tasks-config (deprecated)" 200 '(keys) == ["src-0"]'
req GET /connectors/src/tasks/0/status
expect "GET .../tasks/0/status" 200 '.id == 0 and .state == "RUNNING"'
req GET /connectors/src/tasks/7/status
expect_error "status of an unknown task: 404" 404 '^No status found for task src-7$'
req GET /connectors/src/tasks/x/status
expect_error "a task id that is not a number: 404" 404 'Not Found'
req GET /connectors/nope/config
expect_error "config of an unknown connector: 404" 404 '^Connector nope not found$'
req GET /no/such/path
expect_error "unknown path: 404" 404 '^HTTP 404 Not Found$'
req DELETE /connectors
expect_error "wrong method: 405" 405 '^HTTP 405 Method Not Allowed$'
if grep -Eiq '^Allow: GET, HEAD, POST' <<<"$HDRS"; then
	ok "405 says which methods are allowed"
else
	fail "405 says which methods are allowed" "$HDRS"
fi

# --- active topics ------------------------------------------------------------

if wait_until 20 topics_has_lines; then
	ok "GET .../topics: the topic the source produced to"
else
	fail "GET .../topics: the topic the source produced to" \
		"$(rcurl /connectors/src/topics)"
fi
req GET /connectors/src/topics
expect "topics: Kafka Connect's shape" 200 '. == {"src":{"topics":["lines"]}}'
req PUT /connectors/src/topics/reset
expect "PUT .../topics/reset: 202" 202
req GET /connectors/src/topics
expect "topics after a reset: none" 200 '. == {"src":{"topics":[]}}'
req GET /connectors/nope/topics
expect_error "topics of an unknown connector: 404" 404 'nope'

# --- source offsets --------------------------------------------------------------

in_size=$(stat -c %s "$WORK/in.txt")
if wait_until 20 position_is "$in_size"; then
	ok "GET .../offsets: the source's position"
else
	fail "GET .../offsets: the source's position" "$(rcurl /connectors/src/offsets)"
fi
req GET /connectors/src/offsets
expect "source offsets: Kafka Connect's shape" 200 \
	". == {\"offsets\":[{\"partition\":{\"filename\":\"$WORK/in.txt\"},\"offset\":{\"position\":$in_size}}]}"
req DELETE /connectors/src/offsets
expect_error "reset offsets while running: 400" 400 \
	"^Connectors must be in the STOPPED state before their offsets can be modified\. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint$"
req PATCH /connectors/src/offsets '{"offsets":[{"partition":{"filename":"'$WORK'/in.txt"},"offset":{"position":0}}]}'
expect_error "alter offsets while running: 400" 400 'STOPPED state'
req PATCH /connectors/src/offsets '{"offsets":[]}'
expect_error "alter with no offsets: 400" 400 '^Partitions / offsets need to be provided for an alter offsets request$'
req GET /connectors/nope/offsets
expect_error "offsets of an unknown connector: 404" 404 '^Connector nope not found$'

req PUT /connectors/src/stop
expect "PUT .../stop: 204 once stopped" 204
req GET /connectors/src/status
expect "a stopped connector: STOPPED, no tasks" 200 '.connector.state == "STOPPED" and .tasks == []'
req GET /connectors/src/tasks
expect "a stopped connector has no task configs" 200 '. == []'
req PATCH /connectors/src/offsets '{"offsets":[{"partition":{"filename":"'$WORK'/in.txt"},"offset":{"position":3}}]}'
expect "PATCH .../offsets when stopped: 200" 200 \
	'.message == "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."'
req GET /connectors/src/offsets
expect "the altered offset is stored" 200 '.offsets[0].offset == {"position":3}'
if jq -e --arg f "$WORK/in.txt" '.offsets[] | select(.key[0] == "src" and .key[1].filename == $f) | .value.position == 3' \
	"$WORK/state/offsets.json" >/dev/null 2>&1; then
	ok "the altered offset is in the offset file"
else
	fail "the altered offset is in the offset file" "$(cat "$WORK/state/offsets.json")"
fi
req PATCH /connectors/src/offsets '{"offsets":[{"partition":null,"offset":{"position":0}}]}'
expect_error "PATCH a null partition: 400, nothing changed" 400 'partition'
req GET /connectors/src/offsets
expect "a rejected alter changes nothing" 200 '.offsets[0].offset == {"position":3}'
req DELETE /connectors/src/offsets
expect "DELETE .../offsets when stopped: 200" 200 '.message | test("have been reset successfully")'
req GET /connectors/src/offsets
expect "no offsets after a reset" 200 '. == {"offsets":[]}'

# --- pause, resume, restart ---------------------------------------------------

req PUT /connectors/src/resume
expect "PUT .../resume: 202" 202
if wait_until 20 task_state_is src 0 RUNNING; then
	ok "resumed from STOPPED: running again"
else
	fail "resumed from STOPPED: running again" "$(rcurl /connectors/src/status)"
fi
if wait_until 20 position_is "$in_size"; then
	ok "after the reset the source read its file again"
else
	fail "after the reset the source read its file again" "$(rcurl /connectors/src/offsets)"
fi
req PUT /connectors/src/pause
expect "PUT .../pause: 202" 202
if wait_until 10 task_state_is src 0 PAUSED && state_is src PAUSED; then
	ok "paused"
else
	fail "paused" "$(rcurl /connectors/src/status)"
fi
req PUT /connectors/nope/pause
expect_error "pause an unknown connector: 404" 404 '^Unknown connector nope$'
req PUT /connectors/src/resume
wait_until 10 task_state_is src 0 RUNNING
req POST /connectors/src/restart
expect "POST .../restart: 204" 204
req POST "/connectors/src/restart?includeTasks=true"
expect "?includeTasks=true: 202 with RESTARTING instances" 202 \
	'.connector.state == "RESTARTING" and .tasks[0].state == "RESTARTING" and .name == "src" and .type == "source"'
wait_until 20 task_state_is src 0 RUNNING
req POST "/connectors/src/restart?includeTasks=true&onlyFailed=true"
expect "?onlyFailed=true: nothing failed, nothing restarts" 202 \
	'.connector.state != "RESTARTING" and all(.tasks[]; .state != "RESTARTING")'
req POST /connectors/nope/restart
expect_error "restart an unknown connector: 404" 404 'nope not found'
req POST /connectors/src/tasks/0/restart
expect "POST .../tasks/0/restart: 204" 204
req POST /connectors/src/tasks/9/restart
expect_error "restart an unknown task: 404" 404 '^Task src-9 not found$'

# --- config changes -------------------------------------------------------------

wait_until 20 task_state_is src 0 RUNNING
req PUT /connectors/src/config \
	'{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines","batch.size":100}'
expect "PUT .../config on an existing connector: 200" 200 \
	'.name == "src" and .config["batch.size"] == "100"'
req PUT /connectors/src/config '{"connector.class":"FileStreamSource","name":"other"}'
expect_error "PUT .../config with another name: 400" 400 \
	"^Connector name configuration \(other\) doesn't match connector name in the URL \(src\)$"
req PUT /connectors/src/config '{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt"}'
expect_error "PUT an invalid config: 400 naming the key" 400 'Missing required configuration "topic"'
req GET /connectors/src/config
expect "a rejected PUT changes nothing" 200 '.["batch.size"] == "100" and .topic == "lines"'
req PATCH /connectors/src/config '{"batch.size":null,"tasks.max":1}'
expect "PATCH .../config: set a key, delete one with null" 200 \
	'.config["tasks.max"] == "1" and (.config | has("batch.size") | not)'
req PATCH /connectors/nope/config '{"tasks.max":"1"}'
expect_error "PATCH an unknown connector: 404" 404 '^Connector nope not found$'
req PATCH /connectors/src/config '{"tasks.max":{"x":1}}'
expect_error "PATCH an object value: 400" 400 'tasks.max'
req PUT /connectors/made/config \
	'{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"}'
expect "PUT .../config of a new connector: 201" 201 '.name == "made"'
if grep -Eiq "^Location: $LOC/made" <<<"$HDRS"; then
	ok "PUT .../config creating: Location header"
else
	fail "PUT .../config creating: Location header" "$HDRS"
fi
req POST /connectors '{"name":"quiet","config":{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"},"initial_state":"STOPPED"}'
expect "POST with initial_state STOPPED" 201
req GET /connectors/quiet/status
expect "created STOPPED" 200 '.connector.state == "STOPPED" and .tasks == []'
req POST /connectors '{"name":"held","config":{"connector.class":"FileStreamSource","file":"'$WORK'/in.txt","topic":"lines"},"initial_state":"PAUSED"}'
expect "POST with initial_state PAUSED" 201
req POST /connectors '{"name":"x","config":{"connector.class":"FileStreamSource","file":"/x","topic":"t"},"initial_state":"SLEEPING"}'
expect_error "POST with an invalid initial_state: 400" 400 'initial_state'

# --- passwords ------------------------------------------------------------------

req POST /connectors '{"name":"sec","config":{"connector.class":"SecretSource","topic":"lines","password":"s3cret"}}'
expect "a PASSWORD option is [hidden] in the create answer" 201 '.config.password == "[hidden]"'
req GET /connectors/sec/config
expect "... in GET .../config" 200 '.password == "[hidden]" and .user == null'
req GET /connectors/sec
expect "... in GET /connectors/{name}" 200 '.config.password == "[hidden]"'
req GET "/connectors?expand=info"
expect "... in ?expand=info" 200 '.sec.info.config.password == "[hidden]"'
wait_until 20 task_state_is sec 0 RUNNING
req GET /connectors/sec/tasks
expect "... in the task configs" 200 '.[0].config.password == "[hidden]"'
req PUT /connector-plugins/SecretSource/config/validate \
	'{"connector.class":"SecretSource","name":"v","topic":"t","password":"nope"}'
expect "... and in validation answers" 200 \
	'.error_count == 1 and (.configs[] | select(.value.name == "password") | .value.value == "[hidden]" and .value.errors == ["Invalid value for configuration password: wrong password"])'
if ! grep -q 's3cret' <<<"$(rcurl "/connectors?expand=info&expand=status")$(rcurl /connectors/sec/tasks-config)"; then
	ok "the password is never sent back"
else
	fail "the password is never sent back"
fi
req PUT /connectors/sec/config '{"connector.class":"SecretSource","topic":"lines","password":"[hidden]","user":"bob"}'
expect "PUT with [hidden] keeps the stored password (it validates)" 200 '.config.user == "bob"'
req PATCH /connectors/sec/config '{"password":"[hidden]","user":"carol"}'
expect "PATCH with [hidden] keeps it too" 200 '.config.user == "carol"'
if jq -e '.connectors.sec.config.password == "s3cret"' "$WORK/state/connectors.json" >/dev/null; then
	ok "the stored password is the real one"
else
	fail "the stored password is the real one" "$(cat "$WORK/state/connectors.json")"
fi
req PATCH /connectors/sec/config '{"password":"wrong"}'
expect_error "PATCH a wrong password: 400, nothing changed" 400 'wrong password'
if jq -e '.connectors.sec.config.password == "s3cret"' "$WORK/state/connectors.json" >/dev/null; then
	ok "a rejected PATCH leaves the stored password"
else
	fail "a rejected PATCH leaves the stored password" "$(cat "$WORK/state/connectors.json")"
fi

# --- loggers ----------------------------------------------------------------------

req GET /admin/loggers
expect "GET /admin/loggers: root" 200 '. == {"root":{"level":"INFO","last_modified":null}}'
req PUT /admin/loggers/root '{"level":"DEBUG"}'
expect "PUT /admin/loggers/root DEBUG" 200 '. == ["root"]'
req GET /admin/loggers/root
expect "GET /admin/loggers/root: DEBUG, last_modified" 200 \
	'.level == "DEBUG" and (.last_modified | type) == "number"'
req GET /connectors/src/status
if grep -q "DEBUG SV-REST-REQUEST .*GET /connectors/src/status -> 200" "$LOG"; then
	ok "the new level applies at once"
else
	fail "the new level applies at once" "$(tail -n 5 "$LOG")"
fi
req PUT "/admin/loggers/root?scope=cluster" '{"level":"info"}'
expect "PUT ?scope=cluster: 204" 204
req GET /admin/loggers/root
expect "back to INFO" 200 '.level == "INFO"'
before=$(grep -c "SV-REST-REQUEST" "$LOG")
req GET /connectors
if [[ $(grep -c "SV-REST-REQUEST" "$LOG") == "$before" ]]; then
	ok "DEBUG lines stop at INFO"
else
	fail "DEBUG lines stop at INFO"
fi
req PUT /admin/loggers/root '{"level":"LOUD"}'
expect_error "an invalid level: 404" 404 "^invalid log level 'LOUD'\.$"
req PUT /admin/loggers/root '{"lvl":"INFO"}'
expect_error "no level: 400" 400 "^Desired 'level' parameter was not specified in request\.$"
req GET /admin/loggers/org.apache.kafka.connect
expect_error "other loggers: 404" 404 'not found'

# --- body limit ---------------------------------------------------------------

head -c 1500000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
rcurl /connectors/src/config -o "$WORK/big.out" -D "$WORK/big.hdr" -w '%{http_code}' -X PUT \
	-H 'Content-Type: application/json' --data-binary "@$WORK/big.json" \
	>"$WORK/big.code"
CODE=$(cat "$WORK/big.code")
RESP=$(cat "$WORK/big.out")
expect_error "a body over 1 MiB: 413 in JSON" 413 'larger than the limit of 1048576 bytes'
# the same on one connection, the body sent anyway, then another request:
# the body is discarded and the next request answered (bash can only
# open TCP connections; the guard is the same code on the admin socket)
if [[ $VIA == tcp ]]; then
	: >"$WORK/pipelined.out"
	if exec 3<>"/dev/tcp/127.0.0.1/${URL##*:}"; then
		{
			printf 'PUT /connectors/src/config HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1500000\r\n\r\n'
			cat "$WORK/big.json"
			printf 'GET /connectors/src/config HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
		} >&3
		timeout 10 cat <&3 >"$WORK/pipelined.out"
		exec 3>&-
	fi
	if [[ $(grep -ao 'HTTP/1.1 [0-9]*' "$WORK/pipelined.out" | tr '\n' ' ') == "HTTP/1.1 413 HTTP/1.1 200 " ]] &&
		grep -aq '"topic":"lines"' "$WORK/pipelined.out"; then
		ok "after a 413 the connection serves the next request"
	else
		fail "after a 413 the connection serves the next request" \
			"$(grep -a -E '^HTTP|^\{' "$WORK/pipelined.out")"
	fi
fi
req GET /connectors/src/config
expect "an oversized request changes nothing" 200 '.topic == "lines"'
# a kept-alive connection: several requests with bodies, one after another
if [[ $VIA == socket ]]; then
	base=http://localhost
	sockopt=(--unix-socket "$SOCK")
else
	base=$URL
	sockopt=()
fi
out=$(curl -s -m 30 "${sockopt[@]}" -w ' %{http_code} %{num_connects}\n' -H 'Content-Type: application/json' \
	-X PUT --data-binary '{"level":"INFO"}' "$base/admin/loggers/root" \
	--next -s "${sockopt[@]}" -w ' %{http_code} %{num_connects}\n' -H 'Content-Type: application/json' \
	-X PUT --data-binary '{"level":"INFO"}' "$base/admin/loggers/root" \
	--next -s "${sockopt[@]}" -w ' %{http_code} %{num_connects}\n' "$base/health")
if [[ $(grep -c ' 200 ' <<<"$out") == 3 && $(grep -c ' 200 0$' <<<"$out") == 2 ]]; then
	ok "requests with bodies on one kept-alive connection"
else
	fail "requests with bodies on one kept-alive connection" "$out"
fi

# --- latency while tasks run ---------------------------------------------------------

slow=0
for _ in $(seq 1 50); do
	t=$(rcurl /connectors/src/status -o /dev/null -w '%{time_total}')
	if awk -v t="$t" 'BEGIN { exit !(t > 0.2) }'; then
		slow=$((slow + 1))
	fi
done
if ((slow == 0)); then
	ok "50 status requests while tasks run, each under 200 ms"
else
	fail "50 status requests while tasks run, each under 200 ms" "$slow were slower"
fi

# --- a restart keeps what REST made -----------------------------------------------------

wait_until 20 task_state_is held 0 PAUSED
if stop_pid "$SLUICED_PID" TERM 20; then
	ok "sluiced stops cleanly"
else
	fail "sluiced stops cleanly" "$(tail -n 20 "$LOG")"
fi
cp "$WORK/sluiced.properties" "$WORK/sluiced2.properties"
if ! rest_restart sluiced2; then
	fail "sluiced starts again" "$(tail -n 20 "$WORK/sluiced2.err")"
	finish
fi
req GET /connectors
expect "after a restart: every connector made over REST" 200 '. == ["held","made","quiet","sec","src"]'
req GET /connectors/src/config
expect "... with its PATCHed config" 200 '.["tasks.max"] == "1" and (has("batch.size") | not)'
if wait_until 20 state_is quiet STOPPED && wait_until 20 state_is held PAUSED &&
	wait_until 20 state_is src RUNNING; then
	ok "... and its target state"
else
	fail "... and its target state" "$(rcurl "/connectors?expand=status")"
fi
req PUT /connectors/sec/config '{"connector.class":"SecretSource","topic":"lines","password":"[hidden]"}'
expect "... and its password (a PUT with [hidden] still validates)" 200
# a config change while the connector is still starting: its first
# task may be stopped right after READY with a batch in flight, and must
# still stop at once (it used to hang until the grace period)
slow=""
for i in 1 2 3 4 5 6 7 8; do
	req PUT /connectors/race$i/config '{"connector.class":"CounterSource","topic":"lines"}'
	c1=$CODE
	start=$(date +%s%N)
	req PUT /connectors/race$i/config '{"connector.class":"CounterSource","topic":"lines","max.per.poll":"2"}'
	ms=$((($(date +%s%N) - start) / 1000000))
	if [[ $c1 != 201 || $CODE != 200 ]] || ((ms > 2000)); then
		slow="$slow race$i:$c1/$CODE/${ms}ms"
	fi
done
if [[ -z $slow ]]; then
	ok "a config change right after a create is answered at once, 8 times"
else
	fail "a config change right after a create is answered at once" "$slow"
fi
if stop_pid "$SLUICED_PID" TERM 20 && [[ ! -e $SOCK ]]; then
	ok "sluiced stops cleanly again, removing its admin socket"
else
	fail "sluiced stops cleanly again, removing its admin socket" "$(tail -n 20 "$LOG")"
fi

finish
