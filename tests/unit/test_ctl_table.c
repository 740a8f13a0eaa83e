/* test_ctl_table.c: sluicectl's tables, aligned by terminal cells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../supervisor/ctl_table.h"
#include "testhelp.h"

/* What t prints, in a new string. */
static char *render(const struct ctl_table *t, const char *indent, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	ctl_table_print(t, f, indent, color);
	fclose(f);
	return buf;
}

static void test_table_alignment(void)
{
	struct ctl_table *t = ctl_table_new(3, true);
	char *out;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(ctl_table_add(t, (const char *[]){"NAME", "STATE", "X"}),
	             0);
	CHECK_EQ_INT(
	    ctl_table_add(t, (const char *[]){"\xe6\xbc\xa2\xe5\xad\x97",
	                                      "RUNNING", NULL}),
	    0);
	CHECK_EQ_INT(ctl_table_add(t, (const char *[]){"a\nb", NULL, "z"}), 0);
	out = render(t, "  ", false);
	/* widths in cells: NAME 4, 漢字 4, a\nb 4; the last column is not
	 * padded; NULL prints "-" */
	CHECK_EQ_STR(out, "  NAME  STATE    X\n"
	                  "  \xe6\xbc\xa2\xe5\xad\x97  RUNNING  -\n"
	                  "  a\\nb  -        z\n");
	free(out);
	ctl_table_free(t);
}

static void test_table_color(void)
{
	struct ctl_table *t = ctl_table_new(2, true);
	char *out;

	CHECK(t != NULL);
	if (!t)
		return;
	ctl_table_state_column(t, 1);
	ctl_table_add(t, (const char *[]){"NAME", "FAILED"});
	ctl_table_add(t, (const char *[]){"a", "FAILED"});
	ctl_table_add(t, (const char *[]){"b", "weird"});
	out = render(t, NULL, true);
	/* the header is never coloured; padding ignores the escapes */
	CHECK_EQ_STR(out, "NAME  FAILED\n"
	                  "a     \033[31mFAILED\033[0m\n"
	                  "b     weird\n");
	free(out);
	out = render(t, NULL, false);
	CHECK_EQ_STR(out, "NAME  FAILED\na     FAILED\nb     weird\n");
	free(out);
	ctl_table_free(t);
	ctl_table_free(NULL);
	CHECK(ctl_table_new(0, false) == NULL);
}

TEST_LIST = {
    {"table_alignment", test_table_alignment},
    {"table_color", test_table_color},
    {NULL, NULL},
};
