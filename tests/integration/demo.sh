#!/bin/bash
# tests/integration/demo.sh: the README's first command works: the demo
# starts sluiced on the embedded Kafka and lines appended to its input
# file reach its output file.
. "$(dirname "$0")/lib.sh"

lib_init
require_file "$BUILD/sluiced"
out=$(BUILD=$BUILD timeout 60 "$SLUICE_TOP/scripts/demo" --check 2>&1)
if [[ $? -eq 0 ]]; then
	ok "scripts/demo --check: $out"
else
	fail "scripts/demo --check" "$out"
fi
if grep -q "EMBEDDED KAFKA at 127.0.0.1:[0-9]*: .*memory only" "$BUILD/demo/sluiced.log"; then
	ok "the embedded cluster is labelled as not durable, with its address"
else
	fail "the embedded cluster is labelled as not durable, with its address"
fi
finish
