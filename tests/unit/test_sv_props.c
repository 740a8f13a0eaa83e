/* test_sv_props.c: the .properties parser against Properties.load rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../../supervisor/sv_props.h"
#include "testhelp.h"

static char errbuf[512];

static json_t *parse_n(const char *s, size_t n)
{
	errbuf[0] = '\0';
	return sv_props_parse(s, n, "t.properties", errbuf, sizeof(errbuf));
}

static json_t *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* The value of key in props, or NULL. */
static const char *get(const json_t *props, const char *key)
{
	return json_string_value(json_object_get(props, key));
}

/* Checks that err contains want; prints err if not. */
static void check_err_has(const char *err, const char *want)
{
	if (!strstr(err, want)) {
		test_failures++;
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want);
	}
}

struct kv_case {
	const char *input;
	const char *key;
	const char *value;
	size_t nkeys;
};

static void run_kv_cases(const struct kv_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *p = parse(cases[i].input);

		if (!p) {
			test_failures++;
			fprintf(stderr, "  case %zu: parse failed: %s\n", i,
			        errbuf);
			continue;
		}
		if (!get(p, cases[i].key) ||
		    strcmp(get(p, cases[i].key), cases[i].value) != 0 ||
		    json_object_size(p) != cases[i].nkeys) {
			char *dump = json_dumps(p, JSON_SORT_KEYS);

			test_failures++;
			fprintf(stderr,
			        "  case %zu: want '%s' = '%s' (%zu keys), got "
			        "%s\n",
			        i, cases[i].key, cases[i].value, cases[i].nkeys,
			        dump ? dump : "?");
			free(dump);
		}
		json_decref(p);
	}
}

static void test_separators(void)
{
	static const struct kv_case cases[] = {
	    {"a=b", "a", "b", 1},       {"a:b", "a", "b", 1},
	    {"a b", "a", "b", 1},       {"a\tb", "a", "b", 1},
	    {"a\fb", "a", "b", 1},      {"a = b", "a", "b", 1},
	    {"a : b", "a", "b", 1},     {"a \t b", "a", "b", 1},
	    {"a==b", "a", "=b", 1},     {"a=:b", "a", ":b", 1},
	    {"a = = b", "a", "= b", 1}, {"a :b", "a", "b", 1},
	    {"a  =  b", "a", "b", 1},   {"a b=c", "a", "b=c", 1},
	    {"a=b c", "a", "b c", 1},   {"a=b:c=d", "a", "b:c=d", 1},
	    {"  \t\fa=b", "a", "b", 1}, {"a=b  ", "a", "b  ", 1},
	    {"a=\tb\t", "a", "b\t", 1}, {"=b", "", "b", 1},
	    {":b", "", "b", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_key_only(void)
{
	static const struct kv_case cases[] = {
	    {"a", "a", "", 1},
	    {"a=", "a", "", 1},
	    {"a:", "a", "", 1},
	    {"a   ", "a", "", 1},
	    {"a =  ", "a", "", 1},
	    {"a\n", "a", "", 1},
	    {"long.key.name", "long.key.name", "", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_comments_and_blank_lines(void)
{
	static const struct kv_case cases[] = {
	    {"# c\n! c\n  # indented\n\t! tab\na=b", "a", "b", 1},
	    {"#a=b\nc=d", "c", "d", 1},
	    {"!a=b\nc=d", "c", "d", 1},
	    /* a comment never continues */
	    {"# comment \\\na=b", "a", "b", 1},
	    {"# comment \\\r\na=b", "a", "b", 1},
	    /* not a comment after the key */
	    {"a=b # c", "a", "b # c", 1},
	    {"a#b=c", "a#b", "c", 1},
	    {"\n\n   \n\t\n\r\n\ra=b\n\n", "a", "b", 1},
	    {"a=b\n#", "a", "b", 1},
	    {"a=b\n# no newline at the end", "a", "b", 1},
	};
	json_t *p;

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
	p = parse("");
	CHECK(p && json_object_size(p) == 0);
	json_decref(p);
	p = sv_props_parse(NULL, 0, NULL, errbuf, sizeof(errbuf));
	CHECK(p && json_object_size(p) == 0);
	json_decref(p);
	p = parse("# only\n! comments\n\n   \n");
	CHECK(p && json_object_size(p) == 0);
	json_decref(p);
}

static void test_continuation(void)
{
	static const struct kv_case cases[] = {
	    {"a=b\\\n   c", "a", "bc", 1},
	    {"a=b\\\n\t\f c\\\n d", "a", "bcd", 1},
	    {"a=b \\\n  c", "a", "b c", 1},
	    {"a=b\\\r\n  c\r\nd=e", "a", "bc", 2},
	    {"a=b\\\r  c\rd=e", "a", "bc", 2},
	    {"a=b\\\r\n  c\r\nd=e", "d", "e", 2},
	    /* an even number of backslashes does not continue */
	    {"a=b\\\\\nc=d", "a", "b\\", 2},
	    {"a=b\\\\\\\n c", "a", "b\\c", 1},
	    {"a=b\\\\\\\\\nc=d", "c", "d", 2},
	    /* '#' on a continuation line is text */
	    {"a=b\\\n#c", "a", "b#c", 1},
	    {"a=b\\\n   ! c", "a", "b! c", 1},
	    /* an empty or blank continuation line ends the logical line */
	    {"a=b\\\n\nc=d", "a", "b", 2},
	    {"a=b\\\n   \nc=d", "a", "b", 2},
	    {"a=b\\\n   \nc=d", "c", "d", 2},
	    /* keys and separators continue too */
	    {"ke\\\n  y=v", "key", "v", 1},
	    {"key\\\n  = v", "key", "v", 1},
	    {"key = \\\n  v", "key", "v", 1},
	    /* a backslash at the end of the input is dropped */
	    {"a=b\\", "a", "b", 1},
	    {"a=b\\\n", "a", "b", 1},
	    {"a=b\\\\", "a", "b\\", 1},
	    /* a line of only a backslash: key "" (as Java) */
	    {"\\", "", "", 1},
	    {"\\\n  a=b", "a", "b", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_escapes(void)
{
	static const struct kv_case cases[] = {
	    {"a=\\t\\n\\r\\f", "a", "\t\n\r\f", 1},
	    {"a=\\\\", "a", "\\", 1},
	    {"a=\\=\\:\\ \\#\\!", "a", "=: #!", 1},
	    {"a=\\q\\b\\a\\0\\\"\\'", "a", "qba0\"'", 1},
	    {"a=C:\\\\dir\\\\file", "a", "C:\\dir\\file", 1},
	    {"a=C:\\dir", "a", "C:dir", 1},
	    {"a\\=b=c", "a=b", "c", 1},
	    {"a\\:b:c", "a:b", "c", 1},
	    {"a\\ b c", "a b", "c", 1},
	    {"a\\tb=c", "a\tb", "c", 1},
	    {"\\#a=b", "#a", "b", 1},
	    {"\\!a=b", "!a", "b", 1},
	    {"a=\\ \\ b", "a", "  b", 1},
	    {"a\\\\=b", "a\\", "b", 1},
	    {"a\\\\ b", "a\\", "b", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_unicode_escapes(void)
{
	static const struct kv_case cases[] = {
	    {"a=\\u0041", "a", "A", 1},
	    {"a=\\u00e9\\u00E9", "a", "\xc3\xa9\xc3\xa9", 1},
	    {"a=\\u20AC", "a", "\xe2\x82\xac", 1},
	    {"a=\\u007f", "a", "\x7f", 1},
	    {"a=\\u0080\\u07ff\\u0800\\uffff", "a",
	     "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 1},
	    {"a=\\uD83D\\uDE00", "a", "\xf0\x9f\x98\x80", 1},
	    {"a=\\ud800\\udc00", "a", "\xf0\x90\x80\x80", 1},
	    {"a=\\uDBFF\\uDFFF", "a", "\xf4\x8f\xbf\xbf", 1},
	    {"\\u006Bey=v", "key", "v", 1},
	    {"k\\u003dx=v", "k=x", "v", 1},
	    {"a=x\\u0020", "a", "x ", 1},
	    {"a=\\u00411", "a", "A1", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_utf8_input(void)
{
	static const struct kv_case cases[] = {
	    {"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87=\xd0\xb7\xd0\xbd",
	     "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "\xd0\xb7\xd0\xbd", 1},
	    {"a=\xf0\x9f\x98\x80", "a", "\xf0\x9f\x98\x80", 1},
	    /* a byte order mark is skipped */
	    {"\xef\xbb\xbf"
	     "a=b",
	     "a", "b", 1},
	    {"\xef\xbb\xbf# c\na=b", "a", "b", 1},
	};

	run_kv_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_line_ends(void)
{
	json_t *p = parse("a=1\r\nb=2\rc=3\nd=4\r\n\r\ne=5");

	CHECK(p != NULL);
	CHECK_EQ_INT(json_object_size(p), 5);
	CHECK_EQ_STR(get(p, "a"), "1");
	CHECK_EQ_STR(get(p, "b"), "2");
	CHECK_EQ_STR(get(p, "c"), "3");
	CHECK_EQ_STR(get(p, "d"), "4");
	CHECK_EQ_STR(get(p, "e"), "5");
	json_decref(p);
}

static void test_duplicates_override(void)
{
	json_t *p = parse("a=1\nb=x\na=2\na:3");

	CHECK(p != NULL);
	CHECK_EQ_INT(json_object_size(p), 2);
	CHECK_EQ_STR(get(p, "a"), "3");
	CHECK_EQ_STR(get(p, "b"), "x");
	json_decref(p);
}

static void test_not_nul_terminated(void)
{
	const char buf[] = "a=bcdef";
	json_t *p = parse_n(buf, 4);

	CHECK(p != NULL);
	CHECK_EQ_STR(get(p, "a"), "bc");
	json_decref(p);
}

static void test_realistic_file(void)
{
	const char *text = "# Kafka Connect FileStreamSource\n"
	                   "name=local-file-source\n"
	                   "connector.class=FileStreamSource\n"
	                   "tasks.max=1\n"
	                   "file=/tmp/test.txt\n"
	                   "topic=connect-test\n"
	                   "transforms=a\n"
	                   "transforms.a.regex=^(.*)\\\\.txt$\n"
	                   "list=one, \\\n"
	                   "     two, \\\n"
	                   "     three\n";
	json_t *p = parse(text);

	CHECK(p != NULL);
	CHECK_EQ_INT(json_object_size(p), 8);
	CHECK_EQ_STR(get(p, "name"), "local-file-source");
	CHECK_EQ_STR(get(p, "tasks.max"), "1");
	CHECK_EQ_STR(get(p, "transforms.a.regex"), "^(.*)\\.txt$");
	CHECK_EQ_STR(get(p, "list"), "one, two, three");
	json_decref(p);
}

struct err_case {
	const char *input;
	size_t len; /* 0: strlen */
	const char *want1;
	const char *want2;
};

static void test_errors(void)
{
	static const struct err_case cases[] = {
	    {"a=\\u12", 0, "t.properties:1: malformed \\uXXXX escape",
	     "value of 'a'"},
	    {"a=\\u12G4", 0, "t.properties:1: malformed \\uXXXX escape",
	     "value of 'a'"},
	    {"a=\\u", 0, "t.properties:1: malformed", "'a'"},
	    {"x=1\n\\uZZ=1", 0, "t.properties:2: malformed \\uXXXX escape",
	     "in a key"},
	    {"a=\\u0000", 0, "t.properties:1: \\u0000 (NUL) is not allowed",
	     "'a'"},
	    {"a=\\uD83Dx", 0, "t.properties:1: unpaired UTF-16 high surrogate",
	     "'a'"},
	    {"a=\\uD83D", 0, "unpaired UTF-16 high surrogate", "'a'"},
	    {"a=\\uD83D\\uD83D", 0, "unpaired UTF-16 high surrogate", "'a'"},
	    {"a=\\uD83D\\u0041", 0, "unpaired UTF-16 high surrogate", "'a'"},
	    {"a=\\uD83D\\uZZZZ", 0, "unpaired UTF-16 high surrogate", "'a'"},
	    {"a=\\uDE00", 0, "t.properties:1: unpaired UTF-16 low surrogate",
	     "'a'"},
	    /* the physical line of the escape inside a continued line */
	    {"x=1\n\nkey=b\\\n  c\\\n  \\uZZZZ", 0, "t.properties:5: malformed",
	     "value of 'key'"},
	    {"x=1\r\n\r\nkey=b\\\r\n  \\uZZZZ", 0, "t.properties:4: malformed",
	     "'key'"},
	    {"x=1\r\rkey=b\\\r  \\uZZZZ", 0, "t.properties:4: malformed",
	     "'key'"},
	    {"a=b\n\xff", 0, "t.properties:2: invalid UTF-8",
	     "0xFF at column 1"},
	    {"a=b\r\nc=\xc3", 0, "t.properties:2: invalid UTF-8",
	     "0xC3 at column 3"},
	    {"a=\xc0\x80", 0, "t.properties:1: invalid UTF-8", "0xC0"},
	    {"a=\xe0\x80\x80", 0, "invalid UTF-8", "0xE0"},
	    {"a=\xed\xa0\x80", 0, "invalid UTF-8", "0xED"},
	    {"a=\xf4\x90\x80\x80", 0, "invalid UTF-8", "0xF4"},
	    {"a=\xe2\x82", 0, "invalid UTF-8", "0xE2"},
	    {"# \x80 even in a comment", 0, "t.properties:1: invalid UTF-8",
	     "0x80"},
	    {"a=b\nc=d\0e", 9, "t.properties:2: NUL byte", "column 4"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		size_t n = c->len ? c->len : strlen(c->input);
		json_t *p;

		errno = 0;
		p = parse_n(c->input, n);
		if (p) {
			test_failures++;
			fprintf(stderr, "  error case %zu parsed\n", i);
			json_decref(p);
			continue;
		}
		CHECK_EQ_INT(errno, EINVAL);
		check_err_has(errbuf, c->want1);
		check_err_has(errbuf, c->want2);
	}
}

static void test_null_name(void)
{
	json_t *p;

	p = sv_props_parse("a=\\u1", 5, NULL, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	check_err_has(errbuf, "<input>:1: malformed");
	/* no error buffer at all */
	p = sv_props_parse("a=\\u1", 5, NULL, NULL, 0);
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	/* a short buffer truncates the message */
	p = sv_props_parse("a=\\u1", 5, "t.properties", errbuf, 8);
	CHECK(p == NULL);
	CHECK_EQ_STR(errbuf, "t.prope");
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/test_sv_props.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(2);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void test_load(void)
{
	char path[128];
	json_t *p;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/w.properties", tmpdir);
	write_file(path, "bootstrap.servers=localhost:9092\n"
	                 "group.id = connect\n"
	                 "bad=\\u00\n");
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	check_err_has(errbuf, path);
	check_err_has(errbuf, "w.properties:3: malformed");

	write_file(path, "bootstrap.servers=localhost:9092\n"
	                 "group.id = connect\n");
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p != NULL);
	CHECK_EQ_STR(get(p, "bootstrap.servers"), "localhost:9092");
	CHECK_EQ_STR(get(p, "group.id"), "connect");
	json_decref(p);
	unlink(path);

	/* empty file */
	write_file(path, "");
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p && json_object_size(p) == 0);
	json_decref(p);
	unlink(path);
	rmdir(tmpdir);
}

static void test_load_errors(void)
{
	char path[128];
	json_t *p;
	int fd;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/missing.properties", tmpdir);
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	check_err_has(errbuf, path);
	check_err_has(errbuf, "No such file or directory");

	p = sv_props_load(tmpdir, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, EISDIR);
	check_err_has(errbuf, tmpdir);
	check_err_has(errbuf, "Is a directory");

	/* one byte over the limit (a sparse file: cheap to make) */
	snprintf(path, sizeof(path), "%s/big.properties", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	CHECK(ftruncate(fd, SV_PROPS_MAX_SIZE + 1) == 0);
	close(fd);
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, EFBIG);
	check_err_has(errbuf, path);
	check_err_has(errbuf, "larger than 16777216 bytes");

	/* exactly at the limit is read (and fails on the NUL bytes) */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	CHECK(ftruncate(fd, SV_PROPS_MAX_SIZE) == 0);
	close(fd);
	p = sv_props_load(path, errbuf, sizeof(errbuf));
	CHECK(p == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	check_err_has(errbuf, "big.properties:1: NUL byte at column 1");
	unlink(path);

	/* unreadable file (skipped as root, who reads anything) */
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/secret.properties", tmpdir);
		write_file(path, "a=b\n");
		chmod(path, 0);
		p = sv_props_load(path, errbuf, sizeof(errbuf));
		CHECK(p == NULL);
		CHECK_EQ_INT(errno, EACCES);
		check_err_has(errbuf, "Permission denied");
		unlink(path);
	}
	rmdir(tmpdir);
}

TEST_LIST = {
    {"separators", test_separators},
    {"key_only", test_key_only},
    {"comments_and_blank_lines", test_comments_and_blank_lines},
    {"continuation", test_continuation},
    {"escapes", test_escapes},
    {"unicode_escapes", test_unicode_escapes},
    {"utf8_input", test_utf8_input},
    {"line_ends", test_line_ends},
    {"duplicates_override", test_duplicates_override},
    {"not_nul_terminated", test_not_nul_terminated},
    {"realistic_file", test_realistic_file},
    {"errors", test_errors},
    {"null_name", test_null_name},
    {"load", test_load},
    {"load_errors", test_load_errors},
    {NULL, NULL},
};
