/*
 * test_sv_rest_offsets.c: parsing the offsets of a PATCH for a sink
 * connector, as Kafka Connect's SinkUtils does: the accepted forms
 * (numbers as JSON numbers or strings, a null offset for a reset) and
 * each refusal with Kafka Connect's message.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../../supervisor/sv_rest_offsets.h"
#include "testhelp.h"

/* Parses text (a JSON array); returns the result as compact JSON, or
 * "!" and the message. */
static const char *parse(const char *text)
{
	static char out[1024];
	json_error_t e;
	json_t *in = json_loads(text, 0, &e), *r;
	char err[512] = "", *s;

	if (!in)
		return "bad test input";
	r = sv_rest_offsets_parse(in, err, sizeof(err));
	json_decref(in);
	if (!r) {
		snprintf(out, sizeof(out), "!%s", err);
		return out;
	}
	s = json_dumps(r, JSON_COMPACT);
	snprintf(out, sizeof(out), "%s", s ? s : "?");
	free(s);
	json_decref(r);
	return out;
}

#define P(t, p) "{\"kafka_topic\":" t ",\"kafka_partition\":" p "}"

static void test_accepted(void)
{
	CHECK_EQ_STR(parse("[{\"partition\":" P(
	                 "\"a\"", "0") ",\"offset\":{\"kafka_offset\":5}}]"),
	             "[[\"a\",0,5]]");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P(
	        "\"a\"", "\"3\"") ",\"offset\":{\"kafka_offset\":\"10\"}}]"),
	    "[[\"a\",3,10]]");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P(
	        "\"a\"", "1") ",\"offset\":null},{\"partition\":" P("\"b\"",
	                                                            "2") "}]"),
	    "[[\"a\",1,null],[\"b\",2,null]]");
	CHECK_EQ_STR(parse("[]"), "[]");
}

static void test_refused(void)
{
	CHECK_EQ_STR(parse("[{\"offset\":{\"kafka_offset\":5}}]"),
	             "!The partition for a sink connector offset cannot be "
	             "null or missing");
	CHECK_EQ_STR(parse("[{\"partition\":{\"kafka_topic\":\"a\"}}]"),
	             "!The partition for a sink connector offset must contain "
	             "the keys 'kafka_topic' and 'kafka_partition'");
	CHECK_EQ_STR(parse("[{\"partition\":" P("null", "0") "}]"),
	             "!Kafka topic names must be valid strings and may not be "
	             "null");
	CHECK_EQ_STR(parse("[{\"partition\":" P("\"a\"", "null") "}]"),
	             "!Kafka partitions must be valid numbers and may not be "
	             "null");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P("\"a\"", "\"x\"") "}]"),
	    "!Failed to parse the following Kafka partition value in the "
	    "provided offsets: 'x'. Partition values for sink connectors need "
	    "to be non-negative integers.");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P("\"a\"", "-1") "}]"),
	    "!Failed to parse the following Kafka partition value in the "
	    "provided offsets: '-1'. Partition values for sink connectors need "
	    "to be non-negative integers.");
	CHECK_EQ_STR(parse("[{\"partition\":" P(
	                 "\"a\"", "0") ",\"offset\":{\"position\":1}}]"),
	             "!The offset for a sink connector should either be null "
	             "or contain the key 'kafka_offset'");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P(
	        "\"a\"", "0") ",\"offset\":{\"kafka_offset\":1.5}}]"),
	    "!Failed to parse the following Kafka offset value in the provided "
	    "offsets: '1.5'. Offset values for sink connectors need to be "
	    "non-negative integers.");
	CHECK_EQ_STR(
	    parse("[{\"partition\":" P("\"a\"", "0") ",\"offset\":7}]"),
	    "!The offset for a sink connector should either be null "
	    "or contain the key 'kafka_offset'");
}

TEST_LIST = {
    {"accepted", test_accepted},
    {"refused", test_refused},
    {NULL, NULL},
};
