#!/bin/bash
# tests/fuzz/fuzz.sh: the short fuzzing run of make test: builds the
# libFuzzer targets (make fuzz-build: clang, into build-fuzz/) and runs
# each for FUZZ_TEST_SECONDS (default 5). `make fuzz` runs them longer.
# Skips, saying so, where clang cannot build a fuzzer.
set -u
cd "$(dirname "$0")/../.."
export FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/p.c"
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 ||
	! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address,undefined "$probe/p.c" \
		-o "$probe/p" >/dev/null 2>&1; then
	echo "SKIP: ${FUZZ_CC:-clang} cannot build libFuzzer targets (scripts/setup installs clang and libclang-rt-14-dev)"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! out=$(make --no-print-directory -s fuzz-build 2>&1); then
	echo "FAIL fuzz targets build"
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/  # /'
	echo "0 passed, 1 failed"
	exit 1
fi
exec tests/fuzz/run "${FUZZ_TEST_SECONDS:-5}"
