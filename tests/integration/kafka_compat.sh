#!/bin/bash
# tests/integration/kafka_compat.sh: an outside Kafka client (kcat) sees
# what sluice writes, byte for byte as Kafka Connect writes it, and sluice
# reads what kcat writes.
#
# 1. FileStreamSource + StringConverter: each line is the record value,
#    the key is null.
# 2. FileStreamSource + JsonConverter (schemas.enable=true): values are
#    Kafka Connect's envelope {"schema":{"type":"string","optional":false},
#    "payload":"..."} with Jackson's escaping; null keys stay null.
# 3. JsonConverter with schemas.enable=false: the bare JSON string.
# 4. Lines produced with kcat -P reach a FileStreamSink (StringConverter),
#    and JSON envelopes produced with kcat reach one with JsonConverter.
. "$(dirname "$0")/lib.sh"

lib_init
require_cmd kcat timeout python3
require_file "$BUILD/sluiced" "$BUILD/sluice-taskhost" "$BUILD/sluice-devkafka"

if ! start_devkafka --brokers 1 --topic str:1 --topic json:1 --topic bare:1 \
	--topic from-kcat:1 --topic json-in:1; then
	fail "devkafka starts" "$(cat "$WORK/devkafka.err")"
	finish
fi
write_worker "$WORK/worker.properties"

IN=$WORK/in.txt
# quotes, backslashes, a tab, a control character, non-ASCII, an empty line
printf '%s\n' 'plain line' 'with "quotes" and \back\slashes' \
	"$(printf 'tab\there')" "$(printf 'bell\a!')" 'caf\u00e9 → ünïcødé' '' \
	'last' >"$IN"
sed -i 's/\\u00e9/é/' "$IN"

conn() { # NAME KEY=VALUE...
	local name=$1
	shift
	{
		echo "name=$name"
		printf '%s\n' "$@"
	} >"$WORK/$name.properties"
}
conn src-str connector.class=FileStreamSource "file=$IN" topic=str
conn src-json connector.class=FileStreamSource "file=$IN" topic=json \
	key.converter=org.apache.kafka.connect.json.JsonConverter \
	value.converter=org.apache.kafka.connect.json.JsonConverter
conn src-bare connector.class=FileStreamSource "file=$IN" topic=bare \
	value.converter=org.apache.kafka.connect.json.JsonConverter \
	value.converter.schemas.enable=false
conn sink-kcat connector.class=FileStreamSink "file=$WORK/from-kcat.txt" \
	topics=from-kcat
conn sink-json connector.class=FileStreamSink "file=$WORK/json-in.txt" \
	topics=json-in value.converter=JsonConverter

seq 1 50 | sed 's/^/kcat line /' >"$WORK/kcat.txt"
timeout 20 kcat -b "$BOOTSTRAP" -P -t from-kcat -l "$WORK/kcat.txt"
printf '%s\n' '{"schema":{"type":"string","optional":false},"payload":"from json 1"}' \
	'{"schema":{"type":"int64","optional":false},"payload":42}' \
	'{"schema":{"type":"boolean","optional":true},"payload":null}' \
	>"$WORK/json-in.jsonl"
timeout 20 kcat -b "$BOOTSTRAP" -P -t json-in -l "$WORK/json-in.jsonl"

if ! start_sluiced sluiced standalone "$WORK/worker.properties" \
	"$WORK/src-str.properties" "$WORK/src-json.properties" \
	"$WORK/src-bare.properties" "$WORK/sink-kcat.properties" \
	"$WORK/sink-json.properties"; then
	fail "sluiced starts" "$(tail -n 20 "$WORK/sluiced.err")"
	finish
fi

# read TOPIC N: the first N records as "keylen<TAB>value" lines, values
# JSON-escaped by python so every byte shows.
read_topic() {
	timeout 30 kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -c "$2" -q \
		-f '%K\t%s\x1e' | python3 -c '
import sys
recs = sys.stdin.buffer.read().split(b"\x1e")[:-1]
for r in recs:
    k, v = r.split(b"\t", 1)
    print(k.decode(), v.decode("utf-8", "backslashreplace"))'
}
n=$(wc -l <"$IN")

# expect.py FILE MODE: what each record of FILE's lines must be, as
# "keylen value": MODE str (the line), schema (Kafka Connect's envelope)
# or bare (the JSON string). Jackson's escaping: \" \\ and \t \n \r \b \f,
# other control characters as \u00XX (upper-case hex), the rest as UTF-8.
cat >"$WORK/expect.py" <<'EOF'
import sys
def jackson(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"': out.append('\\"')
        elif ch == '\\': out.append('\\\\')
        elif ch in '\b\f\n\r\t':
            out.append({'\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}[ch])
        elif o < 0x20: out.append('\\u%04X' % o)
        else: out.append(ch)
    return '"' + ''.join(out) + '"'
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]:
    if sys.argv[2] == "str":
        print(-1, line)
    elif sys.argv[2] == "schema":
        print(-1, '{"schema":{"type":"string","optional":false},"payload":%s}' % jackson(line))
    else:
        print(-1, jackson(line))
EOF
python3 "$WORK/expect.py" "$IN" str >"$WORK/want-str.txt"
read_topic str "$n" >"$WORK/got-str.txt"
if cmp -s "$WORK/want-str.txt" "$WORK/got-str.txt"; then
	ok "StringConverter: kcat reads each line as the value, with a null key"
else
	fail "StringConverter: kcat reads each line as the value, with a null key" \
		"$(diff "$WORK/want-str.txt" "$WORK/got-str.txt" | head -n 10)"
fi

python3 "$WORK/expect.py" "$IN" schema >"$WORK/want-json.txt"
read_topic json "$n" >"$WORK/got-json.txt"
if cmp -s "$WORK/want-json.txt" "$WORK/got-json.txt"; then
	ok "JsonConverter: Kafka Connect's envelope byte for byte, null key kept null"
else
	fail "JsonConverter: Kafka Connect's envelope byte for byte, null key kept null" \
		"$(diff "$WORK/want-json.txt" "$WORK/got-json.txt" | head -n 10)"
fi

python3 "$WORK/expect.py" "$IN" bare >"$WORK/want-bare.txt"
read_topic bare "$n" >"$WORK/got-bare.txt"
if cmp -s "$WORK/want-bare.txt" "$WORK/got-bare.txt"; then
	ok "JsonConverter with schemas.enable=false: the bare JSON string"
else
	fail "JsonConverter with schemas.enable=false: the bare JSON string" \
		"$(diff "$WORK/want-bare.txt" "$WORK/got-bare.txt" | head -n 10)"
fi

if wait_until 30 has_lines "$WORK/from-kcat.txt" 50 &&
	cmp -s "$WORK/kcat.txt" "$WORK/from-kcat.txt"; then
	ok "lines produced with kcat -P reach a FileStreamSink"
else
	fail "lines produced with kcat -P reach a FileStreamSink" \
		"$(lines "$WORK/from-kcat.txt") of 50 lines"
fi

printf '%s\n' 'from json 1' 42 null >"$WORK/json-want.txt"
if wait_until 30 has_lines "$WORK/json-in.txt" 3 &&
	cmp -s "$WORK/json-want.txt" "$WORK/json-in.txt"; then
	ok "JSON envelopes produced with kcat are read with their schemas"
else
	fail "JSON envelopes produced with kcat are read with their schemas" \
		"$(cat "$WORK/json-in.txt" 2>/dev/null)"
fi

stop_pid "$SLUICED_PID" TERM 20
finish
