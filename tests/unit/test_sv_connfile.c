/* test_sv_connfile.c: connector config files (.properties and JSON). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../../supervisor/sv_connfile.h"
#include "testhelp.h"

static char errbuf[512];
static char tmpdir[64];
static char path[256];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/test_sv_connfile.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(2);
	}
}

static void teardown(void)
{
	if (rmdir(tmpdir) == -1)
		perror(tmpdir);
}

/* Writes len bytes of text to tmpdir/name and sets path to it. */
static void write_file_n(const char *name, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fwrite(text, 1, len, f);
	fclose(f);
}

static void write_file(const char *name, const char *text)
{
	write_file_n(name, text, strlen(text));
}

/* Loads text written as tmpdir/name; removes the file. */
static struct sv_connfile *load(const char *name, const char *text)
{
	struct sv_connfile *cf;

	write_file(name, text);
	errbuf[0] = '\0';
	errno = 0;
	cf = sv_connfile_load(path, errbuf, sizeof(errbuf));
	if (!cf && errbuf[0] == '\0')
		strcpy(errbuf, "(no message)");
	unlink(path);
	return cf;
}

static const char *cfg(const struct sv_connfile *cf, const char *key)
{
	return json_string_value(json_object_get(cf->config, key));
}

static void check_err_has(const char *want)
{
	if (!strstr(errbuf, want)) {
		test_failures++;
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", errbuf, want);
	}
}

/* Expects name/text to fail with EINVAL and a message naming the file. */
static void check_fails(const char *name, const char *text, const char *want)
{
	struct sv_connfile *cf = load(name, text);

	if (cf) {
		test_failures++;
		fprintf(stderr, "  %s loaded: %s\n", name, text);
		sv_connfile_free(cf);
		return;
	}
	CHECK_EQ_INT(errno, EINVAL);
	check_err_has(name);
	check_err_has(want);
}

/* All values of cf->config are strings. */
static int all_strings(const struct sv_connfile *cf)
{
	const char *key;
	json_t *v;

	json_object_foreach(cf->config, key, v)
	{
		if (!json_is_string(v))
			return 0;
	}
	return 1;
}

static void test_properties(void)
{
	struct sv_connfile *cf;

	setup();
	cf = load("file-source.properties", "# a connector\n"
	                                    "name=local-file-source\n"
	                                    "connector.class=FileStreamSource\n"
	                                    "tasks.max=1\n"
	                                    "file=/tmp/test.txt\n");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "local-file-source");
		CHECK_EQ_STR(cfg(cf, "name"), "local-file-source");
		CHECK_EQ_STR(cfg(cf, "connector.class"), "FileStreamSource");
		CHECK_EQ_STR(cfg(cf, "tasks.max"), "1");
		CHECK_EQ_INT(json_object_size(cf->config), 4);
		CHECK_EQ_INT(cf->initial_state, SV_CONNFILE_RUNNING);
	}
	sv_connfile_free(cf);

	/* trailing whitespace in the name is trimmed, also in the config */
	cf = load("c.properties", "name = my conn \t\nconnector.class=X\n");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "my conn");
		CHECK_EQ_STR(cfg(cf, "name"), "my conn");
	}
	sv_connfile_free(cf);
	teardown();
}

static void test_properties_errors(void)
{
	setup();
	check_fails("c.properties", "connector.class=X\n",
	            "c.properties: missing the mandatory 'name' property");
	check_fails("c.properties", "name=x\nbad=\\u00zz\n",
	            "c.properties:2: malformed \\uXXXX escape");
	check_fails("c.properties", "name=\n", "the connector name is empty");
	check_fails("c.properties", "name=   \n",
	            "the connector name is empty");
	check_fails("c.properties", "name=a\\u0001b\n",
	            "control character U+0001");
	check_fails("c.properties", "name=a\\tb\n", "control character U+0009");
	check_fails("c.properties", "name=a\\u007fb\n",
	            "control character U+007F");
	check_fails("c.properties", "name=a\\u0085b\n",
	            "control character U+0085");
	check_fails("c.properties", "name=a/b\n",
	            "the connector name \"a/b\" contains '/'");
	check_fails("c.properties", "name=..\n",
	            "the connector name must not be \"..\"");
	check_fails("c.properties", "name=.\n",
	            "the connector name must not be \".\"");
	check_fails("c.properties", "name=\xff\n", "c.properties:1: invalid");
	/* JSON content in a .properties file is read as properties */
	check_fails("c.properties", "{\"name\": \"a\"}\n",
	            "missing the mandatory 'name' property");
	teardown();
}

static void test_name_rules(void)
{
	char name[300];

	CHECK_EQ_INT(sv_connfile_check_name("pg-sink", errbuf, sizeof(errbuf)),
	             0);
	CHECK_EQ_INT(
	    sv_connfile_check_name("my conn.v2_(test)", errbuf, sizeof(errbuf)),
	    0);
	CHECK_EQ_INT(sv_connfile_check_name("donn\xc3\xa9"
	                                    "es-\xe2\x82\xac",
	                                    errbuf, sizeof(errbuf)),
	             0);
	CHECK_EQ_INT(sv_connfile_check_name("...", errbuf, sizeof(errbuf)), 0);
	/* U+00A0 is not a control character */
	CHECK_EQ_INT(sv_connfile_check_name("a\xc2\xa0"
	                                    "b",
	                                    errbuf, sizeof(errbuf)),
	             0);

	CHECK_EQ_INT(sv_connfile_check_name("", errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_STR(errbuf, "the connector name is empty");
	CHECK_EQ_INT(sv_connfile_check_name(" a", errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_STR(errbuf,
	             "the connector name \" a\" starts or ends with a space");
	CHECK_EQ_INT(sv_connfile_check_name("a ", errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_INT(sv_connfile_check_name("a\nb", errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_STR(errbuf,
	             "the connector name contains the control character "
	             "U+000A");
	CHECK_EQ_INT(
	    sv_connfile_check_name("a\xc2\x9f", errbuf, sizeof(errbuf)),
	    -EINVAL);
	CHECK_EQ_STR(errbuf,
	             "the connector name contains the control character "
	             "U+009F");
	CHECK_EQ_INT(sv_connfile_check_name("/", errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_INT(sv_connfile_check_name("..", errbuf, sizeof(errbuf)),
	             -EINVAL);

	memset(name, 'n', SV_CONNFILE_NAME_MAX);
	name[SV_CONNFILE_NAME_MAX] = '\0';
	CHECK_EQ_INT(sv_connfile_check_name(name, errbuf, sizeof(errbuf)), 0);
	name[SV_CONNFILE_NAME_MAX] = 'n';
	name[SV_CONNFILE_NAME_MAX + 1] = '\0';
	CHECK_EQ_INT(sv_connfile_check_name(name, errbuf, sizeof(errbuf)),
	             -EINVAL);
	CHECK_EQ_STR(errbuf, "the connector name is longer than 255 bytes");
	/* no error buffer */
	CHECK_EQ_INT(sv_connfile_check_name("", NULL, 0), -EINVAL);
}

static void test_json_request(void)
{
	struct sv_connfile *cf;

	setup();
	cf = load("c.json", "{\"name\": \"pg-sink\",\n"
	                    " \"config\": {\"connector.class\": \"X\",\n"
	                    "            \"tasks.max\": 2}}\n");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "pg-sink");
		CHECK_EQ_STR(cfg(cf, "name"), "pg-sink");
		CHECK_EQ_STR(cfg(cf, "connector.class"), "X");
		CHECK_EQ_STR(cfg(cf, "tasks.max"), "2");
		CHECK_EQ_INT(json_object_size(cf->config), 3);
		CHECK_EQ_INT(cf->initial_state, SV_CONNFILE_RUNNING);
	}
	sv_connfile_free(cf);

	/* a matching config.name, after trimming both */
	cf = load("c.json",
	          "{\"name\": \"s \", \"config\": {\"name\": \" s\"}}");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "s");
		CHECK_EQ_STR(cfg(cf, "name"), "s");
	}
	sv_connfile_free(cf);

	/* the output of GET /connectors/<name>, and an unknown member */
	cf = load("c.json", "{\"name\": \"s\", \"config\": {\"name\": \"s\"},"
	                    " \"tasks\": [{\"connector\": \"s\", \"task\": 0}],"
	                    " \"type\": \"sink\", \"extra\": {\"x\": [1]}}");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_INT(json_object_size(cf->config), 1);
		CHECK(json_object_get(cf->config, "tasks") == NULL);
	}
	sv_connfile_free(cf);

	/* trimming is Java's: every character up to U+0020 at the ends */
	cf = load("c.json", "{\"name\": \"\\u0007a\\u001f\", \"config\": {}}");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "a");
	sv_connfile_free(cf);

	/* a number as the name, as Jackson reads it */
	cf = load("c.json", "{\"name\": 42, \"config\": {}}");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "42");
		CHECK_EQ_STR(cfg(cf, "name"), "42");
	}
	sv_connfile_free(cf);
	teardown();
}

static void test_json_initial_state(void)
{
	static const struct {
		const char *state;
		enum sv_connfile_state want;
	} cases[] = {
	    {"\"RUNNING\"", SV_CONNFILE_RUNNING},
	    {"\"PAUSED\"", SV_CONNFILE_PAUSED},
	    {"\"stopped\"", SV_CONNFILE_STOPPED},
	    {"\"Paused\"", SV_CONNFILE_PAUSED},
	    {"null", SV_CONNFILE_RUNNING},
	};
	char text[256];
	struct sv_connfile *cf;

	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
		         "{\"name\": \"s\", \"config\": {}, "
		         "\"initial_state\": %s}",
		         cases[i].state);
		cf = load("c.json", text);
		CHECK(cf != NULL);
		if (cf)
			CHECK_EQ_INT(cf->initial_state, cases[i].want);
		sv_connfile_free(cf);
	}
	check_fails("c.json",
	            "{\"name\": \"s\", \"config\": {}, \"initial_state\": "
	            "\"GONE\"}",
	            "'initial_state' must be \"RUNNING\", \"PAUSED\" or "
	            "\"STOPPED\"");
	check_fails("c.json",
	            "{\"name\": \"s\", \"config\": {}, \"initial_state\": 1}",
	            "'initial_state' must be");
	teardown();
}

static void test_json_request_errors(void)
{
	setup();
	check_fails("c.json",
	            "{\"name\": \"a\", \"config\": {\"name\": \"b\"}}",
	            "c.json: 'config.name' (\"b\") does not match 'name' "
	            "(\"a\")");
	check_fails("c.json", "{\"config\": {\"name\": \"b\"}}",
	            "c.json: missing the mandatory 'name'");
	check_fails("c.json", "{\"name\": \"a\", \"config\": [1, 2]}",
	            "c.json: 'config' must be an object, not an array");
	check_fails("c.json", "{\"name\": \"a\", \"config\": null}",
	            "'config' must be an object, not null");
	check_fails("c.json", "{\"name\": \"a\", \"config\": 7}",
	            "'config' must be an object, not a number");
	check_fails("c.json", "{\"name\": {}, \"config\": {}}",
	            "c.json: 'name' must be a string, not an object");
	check_fails("c.json", "{\"name\": null, \"config\": {}}",
	            "'name' must be a string, not null");
	check_fails("c.json", "{\"name\": \"\", \"config\": {}}",
	            "c.json: the connector name is empty");
	check_fails("c.json", "{\"name\": \"a/b\", \"config\": {}}",
	            "contains '/'");
	check_fails("c.json", "{\"name\": \"a\\u0007b\", \"config\": {}}",
	            "control character U+0007");
	check_fails("c.json", "{\"name\": \"a\", \"config\": {\"x\": {}}}",
	            "c.json: the value of 'config.x' must be a string, not an "
	            "object");
	check_fails("c.json", "{\"name\": \"a\", \"config\": {\"x\": [\"y\"]}}",
	            "the value of 'config.x' must be a string, not an array");
	check_fails("c.json", "{\"name\": \"a\", \"config\": {\"x\": null}}",
	            "the value of 'config.x' must be a string, not null");
	check_fails("c.json", "{\"name\": \"a\", \"config\": {\"name\": []}}",
	            "the value of 'config.name' must be a string, not an "
	            "array");
	teardown();
}

static void test_json_flat(void)
{
	struct sv_connfile *cf;

	setup();
	cf = load("flat.json", "{\"name\": \"f\", \"connector.class\": \"X\",\n"
	                       " \"tasks.max\": 1, \"flag\": true,\n"
	                       " \"off\": false, \"ratio\": 1.50,\n"
	                       " \"tenth\": 0.1, \"two\": 2.0,\n"
	                       " \"big\": 1e20, \"neg\": -3,\n"
	                       " \"max\": 9223372036854775807,\n"
	                       " \"empty\": \"\", \"\": \"x\",\n"
	                       " \"config\": \"a string\"}\n");
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cf->name, "f");
		CHECK_EQ_STR(cfg(cf, "name"), "f");
		CHECK_EQ_STR(cfg(cf, "connector.class"), "X");
		CHECK_EQ_STR(cfg(cf, "tasks.max"), "1");
		CHECK_EQ_STR(cfg(cf, "flag"), "true");
		CHECK_EQ_STR(cfg(cf, "off"), "false");
		CHECK_EQ_STR(cfg(cf, "ratio"), "1.5");
		CHECK_EQ_STR(cfg(cf, "tenth"), "0.1");
		CHECK_EQ_STR(cfg(cf, "two"), "2");
		CHECK_EQ_STR(cfg(cf, "big"), "1e+20");
		CHECK_EQ_STR(cfg(cf, "neg"), "-3");
		CHECK_EQ_STR(cfg(cf, "max"), "9223372036854775807");
		CHECK_EQ_STR(cfg(cf, "empty"), "");
		CHECK_EQ_STR(cfg(cf, ""), "x");
		CHECK_EQ_STR(cfg(cf, "config"), "a string");
		CHECK(all_strings(cf));
		CHECK_EQ_INT(json_object_size(cf->config), 14);
	}
	sv_connfile_free(cf);

	/* the name is trimmed and may be a number */
	cf = load("flat.json", "{\"name\": \"\\tpadded \"}");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cfg(cf, "name"), "padded");
	sv_connfile_free(cf);
	cf = load("flat.json", "{\"name\": 7}");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "7");
	sv_connfile_free(cf);
	teardown();
}

static void test_json_flat_errors(void)
{
	setup();
	check_fails("c.json", "{\"connector.class\": \"X\"}",
	            "c.json: missing the mandatory 'name'");
	check_fails("c.json", "{\"name\": \"a\", \"x\": {\"y\": 1}}",
	            "c.json: the value of 'x' must be a string, not an object");
	check_fails("c.json", "{\"name\": \"a\", \"x\": []}",
	            "the value of 'x' must be a string, not an array");
	check_fails("c.json", "{\"name\": \"a\", \"x\": null}",
	            "the value of 'x' must be a string, not null");
	check_fails("c.json", "{\"name\": null}",
	            "the value of 'name' must be a string, not null");
	check_fails("c.json", "{\"name\": \"..\"}", "must not be \"..\"");
	teardown();
}

static void test_json_syntax_errors(void)
{
	setup();
	check_fails("c.json", "{\"name\": \"a\",\n \"name\": \"b\"}",
	            "c.json:2:");
	check_fails("c.json", "{\"name\": \"a\",\n \"name\": \"b\"}",
	            "duplicate object key");
	check_fails("c.json",
	            "{\"name\": \"a\", \"config\": {\"x\": \"1\", \"x\": "
	            "\"2\"}}",
	            "duplicate object key");
	check_fails("c.json", "{\"name\": \"a\"} trailing", "c.json:1:");
	check_fails("c.json", "{\"name\": \"a\",}", "c.json:1:");
	check_fails("c.json", "", "c.json:");
	check_fails("c.json", "{\"name\": \"a\\u0000b\"}", "c.json:1:");
	check_fails("c.json", "[{\"name\": \"a\"}]",
	            "c.json: expected a JSON object, not an array");
	check_fails("c.json", "{\"name\": \"\xff\"}", "c.json:1:");
	teardown();
}

static void test_format_detection(void)
{
	struct sv_connfile *cf;

	setup();
	/* no known suffix: JSON if it starts with '{' */
	cf = load("conn.conf", "\n  {\"name\": \"j\", \"config\": {}}");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "j");
	sv_connfile_free(cf);
	cf = load("conn", "name=p\n");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "p");
	sv_connfile_free(cf);
	/* a byte order mark before JSON */
	cf = load("bom.json", "\xef\xbb\xbf{\"name\": \"b\"}");
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "b");
	sv_connfile_free(cf);
	cf = load("bom", "\xef\xbb\xbf{\"name\": \"b\"}");
	CHECK(cf != NULL);
	sv_connfile_free(cf);
	/* a .json file is JSON even when it does not look like it */
	check_fails("c.json", "name=x\n", "c.json:1:");
	teardown();
}

static void test_parse_and_from_json(void)
{
	struct sv_connfile *cf;
	json_t *root;

	cf = sv_connfile_parse("name=m", 6, "mem.properties", errbuf,
	                       sizeof(errbuf));
	CHECK(cf != NULL);
	if (cf)
		CHECK_EQ_STR(cf->name, "m");
	sv_connfile_free(cf);

	root =
	    json_pack("{s:s, s:{s:i}}", "name", "r", "config", "tasks.max", 3);
	cf =
	    sv_connfile_from_json(root, "request body", errbuf, sizeof(errbuf));
	CHECK(cf != NULL);
	if (cf) {
		CHECK_EQ_STR(cfg(cf, "tasks.max"), "3");
		CHECK_EQ_STR(cfg(cf, "name"), "r");
	}
	/* the result holds no reference to root */
	CHECK_EQ_INT(root->refcount, 1);
	sv_connfile_free(cf);
	json_decref(root);

	root = json_string("x");
	cf =
	    sv_connfile_from_json(root, "request body", errbuf, sizeof(errbuf));
	CHECK(cf == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_STR(errbuf, "request body: expected a JSON object, not a "
	                     "string");
	json_decref(root);
	sv_connfile_free(NULL);

	/* empty input, no buffer */
	cf = sv_connfile_parse(NULL, 0, "e.properties", errbuf, sizeof(errbuf));
	CHECK(cf == NULL);
	CHECK_EQ_STR(errbuf,
	             "e.properties: missing the mandatory 'name' property");
}

static void test_load_errors(void)
{
	struct sv_connfile *cf;
	int fd;

	setup();
	snprintf(path, sizeof(path), "%s/missing.properties", tmpdir);
	cf = sv_connfile_load(path, errbuf, sizeof(errbuf));
	CHECK(cf == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	check_err_has(path);
	check_err_has("No such file or directory");

	cf = sv_connfile_load(tmpdir, errbuf, sizeof(errbuf));
	CHECK(cf == NULL);
	CHECK_EQ_INT(errno, EISDIR);
	check_err_has(tmpdir);

	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	CHECK(ftruncate(fd, SV_CONNFILE_MAX_SIZE + 1) == 0);
	close(fd);
	cf = sv_connfile_load(path, errbuf, sizeof(errbuf));
	CHECK(cf == NULL);
	CHECK_EQ_INT(errno, EFBIG);
	check_err_has(path);
	check_err_has("larger than 16777216 bytes");
	unlink(path);
	teardown();
}

TEST_LIST = {
    {"properties", test_properties},
    {"properties_errors", test_properties_errors},
    {"name_rules", test_name_rules},
    {"json_request", test_json_request},
    {"json_initial_state", test_json_initial_state},
    {"json_request_errors", test_json_request_errors},
    {"json_flat", test_json_flat},
    {"json_flat_errors", test_json_flat_errors},
    {"json_syntax_errors", test_json_syntax_errors},
    {"format_detection", test_format_detection},
    {"parse_and_from_json", test_parse_and_from_json},
    {"load_errors", test_load_errors},
    {NULL, NULL},
};
