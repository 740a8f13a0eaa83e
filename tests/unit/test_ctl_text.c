/* test_ctl_text.c: text made safe for a terminal, and its width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../supervisor/ctl_text.h"
#include "testhelp.h"

/* ctl_text_clean(s, multiline), freed after the comparison. */
static void check_clean(const char *s, bool multiline, const char *want)
{
	char *got = ctl_text_clean(s, multiline);

	CHECK_EQ_STR(got, want);
	free(got);
}

static void test_clean_plain(void)
{
	check_clean("", false, "");
	check_clean(NULL, false, "");
	check_clean("file-src 0: RUNNING", false, "file-src 0: RUNNING");
	/* valid UTF-8 passes through */
	check_clean("donn\xc3\xa9"
	            "es \xe6\xbc\xa2\xe5\xad\x97",
	            false,
	            "donn\xc3\xa9"
	            "es \xe6\xbc\xa2\xe5\xad\x97");
	check_clean("\xf0\x9f\x98\x80", false, "\xf0\x9f\x98\x80");
}

static void test_clean_controls(void)
{
	check_clean("a\x1b[2Jb", false, "a\\x1b[2Jb");
	check_clean("a\nb\tc\rd", false, "a\\nb\\tc\\rd");
	check_clean("\x7f\x01", false, "\\x7f\\x01");
	/* C1 controls (U+0085, U+009B CSI) and bidi overrides */
	check_clean("\xc2\x85\xc2\x9b", false, "\\u0085\\u009b");
	check_clean("x\xe2\x80\xaey", false, "x\\u202ey");
	check_clean("\xe2\x81\xa6\xe2\x80\xa8", false, "\\u2066\\u2028");
	/* multi-line text keeps its newlines and tabs, nothing else */
	check_clean("a\n\tb\x1b", true, "a\n\tb\\x1b");
}

static void test_clean_invalid_utf8(void)
{
	/* stray continuation, truncated sequence, overlong, surrogate,
	 * past U+10FFFF, bytes that never start a sequence */
	check_clean("\x80", false, "\\x80");
	check_clean("a\xe6\xbc", false, "a\\xe6\\xbc");
	check_clean("\xc0\xaf", false, "\\xc0\\xaf");
	check_clean("\xed\xa0\x80", false, "\\xed\\xa0\\x80");
	check_clean("\xf4\x90\x80\x80", false, "\\xf4\\x90\\x80\\x80");
	check_clean("\xfe\xff", false, "\\xfe\\xff");
}

static void test_width(void)
{
	CHECK_EQ_INT(ctl_text_width(""), 0);
	CHECK_EQ_INT(ctl_text_width("RUNNING"), 7);
	CHECK_EQ_INT(ctl_text_width("donn\xc3\xa9"
	                            "es"),
	             7);
	/* wide CJK, an emoji, a combining accent, a zero-width space */
	CHECK_EQ_INT(ctl_text_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);
	CHECK_EQ_INT(ctl_text_width("\xf0\x9f\x98\x80"), 2);
	CHECK_EQ_INT(ctl_text_width("e\xcc\x81"), 1);
	CHECK_EQ_INT(ctl_text_width("a\xe2\x80\x8b"
	                            "b"),
	             2);
}

static void test_state_color(void)
{
	CHECK_EQ_STR(ctl_text_state_color("RUNNING"), "\033[32m");
	CHECK_EQ_STR(ctl_text_state_color("FAILED"), "\033[31m");
	CHECK_EQ_STR(ctl_text_state_color("PAUSED"), "\033[33m");
	CHECK_EQ_STR(ctl_text_state_color("running"), "");
	CHECK_EQ_STR(ctl_text_state_color(NULL), "");
}

TEST_LIST = {
    {"clean_plain", test_clean_plain},
    {"clean_controls", test_clean_controls},
    {"clean_invalid_utf8", test_clean_invalid_utf8},
    {"width", test_width},
    {"state_color", test_state_color},
    {NULL, NULL},
};
