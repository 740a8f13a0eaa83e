# tests/integration/rest_lib.sh: helpers for the REST API tests
# (rest_*.sh), on top of lib.sh.
#
#	. "$(dirname "$0")/rest_lib.sh"
#	lib_init
#	rest_start sluiced "key=value" ...   # sets URL, SOCK, LOG
#	req GET /connectors                  # sets CODE, RESP, HDRS
#	expect "name" 200 '.[0] == "src"'    # code, and jq -e on RESP
#	finish
#
# Requests go to $URL with curl; set VIA=socket to send them over the
# admin socket ($SOCK) instead, and CURL_OPTS (an array) for more curl
# options (credentials, CA). rcurl does the same for a plain curl.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

URL=
SOCK=
LOG=
VIA=tcp
CURL_OPTS=()
CODE=
CURL_RC=
RESP=
HDRS=

# rest_start NAME [KEY=VALUE...]: writes $WORK/NAME.properties (lib.sh's
# worker, an HTTP listener on a free loopback port, the built plugins
# and SecretSource, the extra lines given) and starts sluiced with it.
# Returns 1 if it does not become ready.
rest_start() {
	local name=$1
	shift
	write_worker "$WORK/$name.properties" \
		"plugin.path=$BUILD/plugins,$BUILD/test-plugins/secret_source.so" \
		"consumer.session.timeout.ms=6000" "$@"
	if ! grep -q '^listeners=' "$WORK/$name.properties"; then
		echo "listeners=http://127.0.0.1:0" >>"$WORK/$name.properties"
	fi
	rest_restart "$name"
}

# rest_restart NAME [ARGS...]: starts sluiced again with NAME.properties
# (and connector files ARGS), in a log of its own.
rest_restart() {
	local name=$1
	shift
	: >"$WORK/$name.err"
	if ! start_sluiced "$name" standalone "$WORK/$name.properties" "$@"; then
		return 1
	fi
	LOG=$WORK/$name.err
	URL=$(grep -Eo 'REST API on https?://[^ ]+' "$LOG" | head -n 1 |
		sed 's/REST API on //')
	SOCK=$(grep -Eo 'admin API on unix:[^ ]+' "$LOG" | head -n 1 |
		sed 's/admin API on unix://')
	return 0
}

# req METHOD PATH [BODY [CONTENT-TYPE]]: sends a request; sets CODE (the
# HTTP status, 000 if none), RESP (the body), HDRS (the headers) and
# CURL_RC (curl's exit status; its message is in $WORK/curl.err).
req() {
	local method=$1 path=$2 base=$URL
	local args=(-s -S -m 60 -o "$WORK/resp.body" -D "$WORK/resp.hdr"
		-w '%{http_code}' -X "$method")
	if [[ $# -ge 3 ]]; then
		args+=(-H "Content-Type: ${4:-application/json}" --data-binary "$3")
	fi
	if [[ $VIA == socket ]]; then
		args+=(--unix-socket "$SOCK")
		base=http://localhost
	fi
	: >"$WORK/resp.body"
	: >"$WORK/resp.hdr"
	CODE=$(curl "${args[@]}" "${CURL_OPTS[@]}" "$base$path" 2>"$WORK/curl.err")
	CURL_RC=$?
	RESP=$(cat "$WORK/resp.body")
	HDRS=$(cat "$WORK/resp.hdr")
}

# rcurl PATH [CURL-ARGS...]: curl PATH on $URL, or on the admin socket
# with VIA=socket; prints the body.
rcurl() {
	local path=$1
	shift
	if [[ $VIA == socket ]]; then
		curl -s -m 60 --unix-socket "$SOCK" "$@" "http://localhost$path"
	else
		curl -s -m 60 "${CURL_OPTS[@]}" "$@" "$URL$path"
	fi
}

# expect NAME CODE [JQ-FILTER]: the last request answered CODE and, if a
# filter is given, jq -e FILTER holds on its body.
expect() {
	local name=$1 code=$2 filter=${3:-}
	if [[ $CODE != "$code" ]]; then
		fail "$name" "HTTP $CODE, expected $code" "$RESP" "$(cat "$WORK/curl.err")"
		return 1
	fi
	if [[ -n $filter ]] && ! jq -e "$filter" >/dev/null 2>&1 <<<"$RESP"; then
		fail "$name" "jq -e '$filter' does not hold on:" "$RESP"
		return 1
	fi
	ok "$name"
}

# expect_error NAME CODE PATTERN: Kafka Connect's error body
# {"error_code": CODE, "message": ...} with a message matching the
# extended regex PATTERN.
expect_error() {
	local name=$1 code=$2 pattern=$3 msg
	msg=$(jq -r '.message' 2>/dev/null <<<"$RESP")
	if [[ $CODE == "$code" ]] &&
		jq -e --argjson c "$code" '.error_code == $c and (.message | type) == "string" and (keys | length) == 2' \
			>/dev/null 2>&1 <<<"$RESP" &&
		grep -Eq -- "$pattern" <<<"$msg"; then
		ok "$name"
	else
		fail "$name" "HTTP $CODE (expected $code), body:" "$RESP" "wanted a message matching: $pattern"
	fi
}

# state_is NAME STATE: the connector's state in its status.
state_is() {
	local s
	s=$(rcurl "/connectors/$1/status" | jq -r '.connector.state' 2>/dev/null)
	[[ $s == "$2" ]]
}

# task_state_is NAME ID STATE
task_state_is() {
	local s
	s=$(rcurl "/connectors/$1/status" |
		jq -r --argjson id "$2" '.tasks[] | select(.id == $id) | .state' 2>/dev/null)
	[[ $s == "$3" ]]
}

# Run directly (tests/run runs every tests/integration/*.sh): no cases.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	echo "rest_lib.sh holds helpers for the REST tests; nothing to run"
	echo "0 passed, 0 failed"
	exit 0
fi
