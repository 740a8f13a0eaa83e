#!/bin/bash
# tests/sandbox/escape_user.sh: the escape suite and the /proc checks
# again, as an unprivileged user: the sandbox must work through user
# namespaces alone, without a cgroup (sluiced says why in its log).
#
# As root it runs tests/sandbox/escape.sh and visible.sh as the user
# sluice-test (created with useradd if missing: a system user without a
# home or a login shell). It skips, saying why, when that is impossible:
# not root (then escape.sh itself ran unprivileged), no useradd, a build
# directory the user cannot read, or a kernel that refuses user
# namespaces to unprivileged users.
. "$(dirname "$0")/../integration/lib.sh"

lib_init
TEST_USER=sluice-test

skip() {
	echo "SKIP: $*"
	finish
}

if [[ ${SLUICE_SANDBOX:-default} == none ]]; then
	skip "SLUICE_SANDBOX=none: no sandbox to test"
fi
if [[ $(id -u) != 0 ]]; then
	skip "not root: tests/sandbox/escape.sh already ran as uid $(id -u)"
fi
require_cmd setpriv unshare
if ! id "$TEST_USER" >/dev/null 2>&1; then
	if ! command -v useradd >/dev/null 2>&1 ||
		! useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$TEST_USER" >/dev/null 2>&1; then
		skip "cannot create the user $TEST_USER (useradd)"
	fi
fi
as_user() {
	setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent \
		TMPDIR=/tmp BUILD="$BUILD" SLUICE_TOP="$SLUICE_TOP" "$@"
}
if ! as_user test -x "$BUILD/sluiced" -a -r "$BUILD/test-plugins/hostile_source.so"; then
	skip "$TEST_USER cannot read $BUILD (a checkout below a private directory?)"
fi
if ! as_user unshare --user --map-root-user true 2>/dev/null; then
	skip "this kernel gives no user namespace to unprivileged users"
fi

for t in escape visible; do
	out=$WORK/$t.out
	as_user bash "$SLUICE_TOP/tests/sandbox/$t.sh" >"$out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*)
			ok "as $TEST_USER: ${line#ok }"
			;;
		"FAIL "*)
			fail "as $TEST_USER: ${line#FAIL }" \
				"$(grep -A 3 -F -- "$line" "$out" | grep '^  #' | sed 's/^  # //')"
			;;
		esac
	done <"$out"
	if ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
		fail "as $TEST_USER: $t.sh ran to its end" "$(tail -n 20 "$out")"
	fi
done
finish
