#!/bin/bash
# tests/integration/rest_security.sh: the admin Unix socket, HTTPS and
# HTTP Basic authentication.
#
# 1. The admin socket: mode 0600 in a 0700 directory; the same API as TCP
#    with no credentials; every write logged with the peer's uid and pid.
# 2. Basic auth on the TCP listeners: without valid credentials every
#    request gets 401 with WWW-Authenticate (and changes nothing);
#    SHA-512 and yescrypt hashes both work; the file is read again when it
#    changes.
# 3. HTTPS with a certificate made here by openssl: verified by curl;
#    plain HTTP on it fails.
# 4. sluiced refuses to start on a plaintext password, a socket directory
#    others may enter, an https:// listener without its PEM files, a
#    malformed listener, a port in use, a bad body limit, and an admin
#    socket another sluiced answers on; it starts again over the socket a
#    killed sluiced left behind, and a small body limit applies.
# 5. While sluiced starts (a slow command-line connector), GET /health is
#    503 "starting" and the other endpoints 503; then healthy.
. "$(dirname "$0")/rest_lib.sh"

lib_init
require_cmd curl jq timeout openssl
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" \
	"$BUILD/test-plugins/secret_source.so"

if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	>"$WORK/openssl.out" 2>&1; then
	fail "a test certificate" "$(cat "$WORK/openssl.out")"
	finish
fi
# alice: SHA-512 crypt of "wonderland"; bob: yescrypt of "secret"
{
	echo "# sluiced REST users"
	echo "alice:$(openssl passwd -6 wonderland)"
	echo 'bob:$y$j9T$Lz2aPq5flus7nbGxB1bTL1$x9x3yVc46PT5bxbr0hYZ7YIRBMraTYxSuodCe2C4lx1'
} >"$WORK/users"
chmod 600 "$WORK/users"

if ! rest_start sluiced \
	"listeners=http://127.0.0.1:0,https://127.0.0.1:0" \
	"listeners.https.ssl.certificate.location=$WORK/cert.pem" \
	"listeners.https.ssl.key.location=$WORK/key.pem" \
	"rest.basic.auth.file=$WORK/users"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi
HTTPS=$(grep -Eo 'REST API on https://[^ ]+' "$LOG" | head -n 1 | sed 's/REST API on //')
HTTP=$URL

# --- the admin socket -------------------------------------------------------------

mode=$(stat -c '%a %u' "$SOCK" 2>/dev/null)
dmode=$(stat -c '%a' "$(dirname "$SOCK")" 2>/dev/null)
if [[ $SOCK == "$WORK/state/admin.sock" && -S $SOCK && $mode == "600 $(id -u)" && $dmode == 700 ]]; then
	ok "the admin socket: <state dir>/admin.sock, 0600 in a 0700 directory"
else
	fail "the admin socket: <state dir>/admin.sock, 0600 in a 0700 directory" \
		"$SOCK: $mode, directory $dmode"
fi
VIA=socket
req GET /
expect "the admin socket needs no credentials" 200 '.version | type == "string"'
req POST /connectors '{"name":"sec","config":{"connector.class":"SecretSource","topic":"t","password":"s3cret"}}'
expect "create over the admin socket" 201 '.config.password == "[hidden]"'
if grep -Eq "SV-REST-ADMIN .*POST /connectors -> 201 \(uid $(id -u) pid [0-9]+\)" "$LOG"; then
	ok "a write over the socket is logged with the peer's uid and pid"
else
	fail "a write over the socket is logged with the peer's uid and pid" \
		"$(grep SV-REST "$LOG" | tail -n 3)"
fi
req GET /connectors/nope
expect_error "the same errors over the socket" 404 '^Connector nope not found$'
req PUT /connectors/sec/pause
expect "pause over the socket" 202
req GET "/connectors?expand=status"
expect "the same API over the socket" 200 '.sec.status.connector.state == "PAUSED"'
VIA=tcp

# --- Basic authentication -----------------------------------------------------------

req GET /connectors
expect_error "no credentials: 401" 401 'Unauthorized'
if grep -Eiq '^WWW-Authenticate: Basic realm="sluice"' <<<"$HDRS"; then
	ok "401 asks for Basic credentials"
else
	fail "401 asks for Basic credentials" "$HDRS"
fi
CURL_OPTS=(-u alice:wrong)
req GET /connectors
expect_error "a wrong password: 401" 401 'Unauthorized'
CURL_OPTS=(-u mallory:wonderland)
req GET /connectors
expect_error "an unknown user: 401" 401 'Unauthorized'
CURL_OPTS=(-H 'Authorization: Basic !!!notbase64')
req GET /connectors
expect_error "a malformed Authorization header: 401" 401 'Unauthorized'
CURL_OPTS=()
refused=0
for m in "GET /" "GET /health" "GET /connector-plugins" "GET /admin/loggers" \
	"PUT /connectors/sec/resume" "DELETE /connectors/sec" \
	"GET /connectors/sec/offsets" "POST /connectors/sec/restart"; do
	req ${m% *} "${m#* }"
	[[ $CODE == 401 ]] && refused=$((refused + 1))
done
req POST /connectors '{"name":"intruder","config":{"connector.class":"SecretSource","topic":"t","password":"s3cret"}}'
[[ $CODE == 401 ]] && refused=$((refused + 1))
if ((refused == 9)); then
	ok "every endpoint refuses a request without credentials"
else
	fail "every endpoint refuses a request without credentials" "$refused of 9"
fi
CURL_OPTS=(-u alice:wonderland)
req GET /connectors
expect "alice (SHA-512 crypt): 200" 200 '. == ["sec"]'
req PUT /connectors/sec/resume
expect "alice may write" 202
if grep -Eq "SV-REST-WRITE .*PUT /connectors/sec/resume -> 202 \(user alice from 127\.0\.0\.1:[0-9]+\)" "$LOG"; then
	ok "a write over TCP is logged with the user and address"
else
	fail "a write over TCP is logged with the user and address" "$(grep SV-REST "$LOG" | tail -n 3)"
fi
CURL_OPTS=(-u bob:secret)
req GET /connectors/sec/status
expect "bob (yescrypt): 200" 200 '.name == "sec"'
CURL_OPTS=()
VIA=socket
req GET /connectors/intruder
expect_error "a refused request changed nothing" 404 'not found'
VIA=tcp
if grep -q "SV-REST-AUTH-FAILED" "$LOG"; then
	ok "refused requests are logged"
else
	fail "refused requests are logged"
fi
# a new password takes effect without a restart
sleep 1.1 # a new mtime
{
	echo "alice:$(openssl passwd -6 looking-glass)"
	echo 'bob:$y$j9T$Lz2aPq5flus7nbGxB1bTL1$x9x3yVc46PT5bxbr0hYZ7YIRBMraTYxSuodCe2C4lx1'
} >"$WORK/users.new"
mv "$WORK/users.new" "$WORK/users"
CURL_OPTS=(-u alice:wonderland)
req GET /connectors
expect_error "a changed file: the old password is refused" 401 'Unauthorized'
CURL_OPTS=(-u alice:looking-glass)
req GET /connectors
expect "... and the new one accepted" 200

# --- HTTPS --------------------------------------------------------------------------

URL=$HTTPS
CURL_OPTS=(--cacert "$WORK/cert.pem" -u alice:looking-glass)
req GET /connectors/sec/config
expect "HTTPS with a verified certificate" 200 '.password == "[hidden]"'
CURL_OPTS=(--cacert "$WORK/cert.pem")
req GET /connectors
expect_error "HTTPS also needs credentials" 401 'Unauthorized'
CURL_OPTS=(-u alice:looking-glass)
req GET /connectors
if [[ $CODE == 000 && $CURL_RC == 60 ]]; then
	ok "an unknown certificate is refused by the client"
else
	fail "an unknown certificate is refused by the client" "HTTP $CODE, curl exit $CURL_RC" "$(cat "$WORK/curl.err")"
fi
plain=${HTTPS/https:/http:}
CODE=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -u alice:looking-glass "$plain/connectors")
if [[ $CODE != 200 ]]; then
	ok "plain HTTP on the HTTPS port gets nowhere"
else
	fail "plain HTTP on the HTTPS port gets nowhere"
fi
URL=$HTTP
CURL_OPTS=()

# --- refusals at startup --------------------------------------------------------------

# refuses NAME PATTERN KEY=VALUE...: a sluiced with these worker keys
# exits 1 at startup with a message matching PATTERN.
refuses() {
	local name=$1 pattern=$2 rc
	shift 2
	write_worker "$WORK/bad.properties" "sluice.state.dir=$WORK/bad-state" "$@"
	timeout 30 "$BUILD/sluiced" standalone "$WORK/bad.properties" \
		>"$WORK/bad.out" 2>"$WORK/bad.err"
	rc=$?
	if [[ $rc == 1 ]] && grep -Eq -- "$pattern" "$WORK/bad.err"; then
		ok "$name"
	else
		fail "$name" "exit $rc" "$(grep -E 'ERROR|WARN' "$WORK/bad.err" | tail -n 3)"
	fi
}
echo "carol:plaintext" >"$WORK/plain-users"
refuses "a plaintext password stops sluiced" "plain-users:1: the password of carol is not" \
	"listeners=http://127.0.0.1:0" "rest.basic.auth.file=$WORK/plain-users"
refuses "a missing credentials file stops sluiced" "no-such-users" \
	"listeners=http://127.0.0.1:0" "rest.basic.auth.file=$WORK/no-such-users"
mkdir -p "$WORK/open"
chmod 755 "$WORK/open"
refuses "an admin socket others may reach stops sluiced" "directory $WORK/open must belong to uid" \
	"listeners=http://127.0.0.1:0" "admin.socket=$WORK/open/admin.sock"
refuses "https:// without PEM files stops sluiced" "needs listeners\.https\.ssl\.certificate\.location" \
	"listeners=https://127.0.0.1:0"
refuses "a malformed listener stops sluiced" 'invalid listener "ftp://127.0.0.1:1"' \
	"listeners=ftp://127.0.0.1:1"
refuses "a configured port in use stops sluiced" "cannot listen on ${HTTP}: Address already in use" \
	"listeners=$HTTP"
refuses "a bad body limit stops sluiced" "invalid rest.request.max.bytes" \
	"listeners=http://127.0.0.1:0" "rest.request.max.bytes=12"
refuses "a second sluiced on the same admin socket stops" "another process listens on $SOCK" \
	"listeners=http://127.0.0.1:0" "admin.socket=$SOCK"
if [[ -S $SOCK ]] && curl -s -m 5 --unix-socket "$SOCK" http://localhost/ >/dev/null; then
	ok "... and leaves the running one's socket alone"
else
	fail "... and leaves the running one's socket alone"
fi

# --- a killed sluiced's socket; a small body limit; no socket at all ---------------------

stop_pid "$SLUICED_PID" KILL 10
if [[ -S $SOCK ]]; then
	ok "a killed sluiced leaves its socket behind"
else
	fail "a killed sluiced leaves its socket behind"
fi
echo "rest.request.max.bytes=2048" >>"$WORK/sluiced.properties"
if rest_restart sluiced && VIA=socket req GET /connectors && [[ $CODE == 200 ]]; then
	ok "sluiced starts again over a stale socket"
else
	fail "sluiced starts again over a stale socket" "$(tail -n 5 "$WORK/sluiced.err")"
fi
VIA=socket
req PUT /connectors/sec/config "{\"connector.class\":\"SecretSource\",\"topic\":\"t\",\"x\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}"
expect_error "rest.request.max.bytes: 413 over the socket too" 413 'limit of 2048 bytes'
req GET /connectors/sec/config
expect "... changing nothing" 200 '(has("x") | not)'
VIA=tcp
if stop_pid "$SLUICED_PID" TERM 20 && [[ ! -e $SOCK ]]; then
	ok "a clean stop removes the socket"
else
	fail "a clean stop removes the socket"
fi
write_worker "$WORK/nosock.properties" "sluice.state.dir=$WORK/nosock-state" \
	"listeners=http://127.0.0.1:0" "admin.socket="
if start_sluiced nosock standalone "$WORK/nosock.properties" &&
	[[ ! -e $WORK/nosock-state/admin.sock ]] &&
	grep -q "no admin socket" "$WORK/nosock.err"; then
	ok "admin.socket= (empty): no admin socket"
else
	fail "admin.socket= (empty): no admin socket" "$(tail -n 5 "$WORK/nosock.err")"
fi
if stop_pid "$SLUICED_PID" TERM 20; then
	ok "sluiced stops cleanly"
else
	fail "sluiced stops cleanly" "$(tail -n 20 "$WORK/nosock.err")"
fi

# --- while sluiced starts: /health says so, the rest waits ----------------------------

# a command-line connector whose validation takes 3 s holds the startup
cat >"$WORK/slow.json" <<EOF2
{"name": "slow", "config": {"connector.class": "SecretSource", "topic": "t",
 "password": "s3cret", "validate.sleep.ms": "3000"}}
EOF2
write_worker "$WORK/slow.properties" "sluice.state.dir=$WORK/slow-state" \
	"listeners=http://127.0.0.1:0" \
	"plugin.path=$BUILD/plugins,$BUILD/test-plugins/secret_source.so"
spawn slow "$BUILD/sluiced" standalone "$WORK/slow.properties" "$WORK/slow.json"
SLUICED_PID=$SPAWNED_PID
if wait_until 20 grep -q "REST API on" "$WORK/slow.err"; then
	URL=$(grep -Eo 'REST API on http://[^ ]+' "$WORK/slow.err" | sed 's/REST API on //')
	req GET /health
	expect "while starting: GET /health is 503 \"starting\"" 503 \
		'. == {"status":"starting","message":"Worker is still starting up."}'
	req GET /connectors
	expect_error "while starting: other requests get 503" 503 '^Worker is still starting up\.$'
	req GET /
	expect "while starting: GET / answers" 200
else
	fail "the slow sluiced listens" "$(tail -n 5 "$WORK/slow.err")"
fi
if wait_until 20 grep -q SV-READY "$WORK/slow.err"; then
	req GET /health
	expect "once started: healthy" 200 '.status == "healthy"'
	req GET /connectors
	expect "once started: the command-line connector is there" 200 '. == ["slow"]'
else
	fail "the slow sluiced becomes ready" "$(tail -n 5 "$WORK/slow.err")"
fi
stop_pid "$SLUICED_PID" TERM 20

finish
