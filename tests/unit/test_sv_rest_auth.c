/*
 * test_sv_rest_auth.c: HTTP Basic credentials: base64, crypt(3) hashes
 * (SHA-512 and yescrypt), refused files (plaintext, weak or malformed
 * hashes, duplicates, empty), the remembered successes, and a file that
 * changes while sluiced runs.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../supervisor/sv_rest_auth.h"
#include "testhelp.h"

/* "secret", hashed with yescrypt */
#define BOB \
	"bob:$y$j9T$Lz2aPq5flus7nbGxB1bTL1$x9x3yVc46PT5bxbr0hYZ7YIRBMraTYxSuodCe2C4lx1\n"

static char dir[] = "/tmp/test_sv_rest_auth.XXXXXX";
static char path[256];

static void write_file(const char *text)
{
	FILE *f;

	if (strstr(dir, "XXXXXX"))
		mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/users", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

/* A users file with alice's SHA-512 hash of pw. */
static void write_alice(const char *pw, const char *salt)
{
	char text[512];

	snprintf(text, sizeof(text), "# users\n\nalice:%s\n" BOB,
	         crypt(pw, salt));
	write_file(text);
}

/* The Authorization header for user:pw. */
static const char *basic(const char *cred)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char out[512];
	size_t n = strlen(cred), o = snprintf(out, sizeof(out), "Basic ");

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)cred[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)cred[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)cred[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static void test_base64(void)
{
	unsigned char out[64];

	CHECK_EQ_INT(sv_rest_auth_base64("YWxpY2U6cHc=", out, sizeof(out)), 8);
	CHECK_EQ_MEM(out, 8, "alice:pw", 8);
	CHECK_EQ_INT(sv_rest_auth_base64("YWI=", out, sizeof(out)), 2);
	CHECK_EQ_INT(sv_rest_auth_base64("YQ==", out, sizeof(out)), 1);
	CHECK_EQ_INT(sv_rest_auth_base64("", out, sizeof(out)), 0);
	CHECK_EQ_INT(sv_rest_auth_base64("YWxpY2U", out, sizeof(out)), -1);
	CHECK_EQ_INT(sv_rest_auth_base64("YW*p", out, sizeof(out)), -1);
	CHECK_EQ_INT(sv_rest_auth_base64("Y=Ex", out, sizeof(out)), -1);
	CHECK_EQ_INT(sv_rest_auth_base64("YQ=a", out, sizeof(out)), -1);
	CHECK_EQ_INT(sv_rest_auth_base64("YWxpY2U6cHc=", out, 4), -1);
}

static void test_check(void)
{
	char err[512] = "", user[64];
	struct sv_rest_auth *a;

	write_alice("wonderland", "$6$saltsalt$");
	a = sv_rest_auth_new(path, err, sizeof(err));
	CHECK(a != NULL);
	if (!a) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_INT(sv_rest_auth_check(a, basic("alice:wonderland"), user,
	                                sizeof(user)),
	             0);
	CHECK_EQ_STR(user, "alice");
	/* remembered: the same answer from the cache */
	CHECK_EQ_INT(sv_rest_auth_check(a, basic("alice:wonderland"), user,
	                                sizeof(user)),
	             0);
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("bob:secret"), user, sizeof(user)), 0);
	CHECK_EQ_STR(user, "bob");
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alice:wonderlan"), user, sizeof(user)),
	    -EACCES);
	CHECK_EQ_INT(sv_rest_auth_check(a, basic("alice:wonderland "), user,
	                                sizeof(user)),
	             -EACCES);
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("eve:wonderland"), user, sizeof(user)),
	    -EACCES);
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alicewonderland"), user, sizeof(user)),
	    -EACCES);
	CHECK_EQ_INT(sv_rest_auth_check(a, NULL, user, sizeof(user)), -EACCES);
	CHECK_EQ_INT(sv_rest_auth_check(a, "Bearer abc", user, sizeof(user)),
	             -EACCES);
	CHECK_EQ_INT(sv_rest_auth_check(a, "Basic !!!", user, sizeof(user)),
	             -EACCES);
	/* the scheme is case-insensitive */
	CHECK_EQ_INT(sv_rest_auth_check(a, "basic YWxpY2U6d29uZGVybGFuZA==",
	                                user, sizeof(user)),
	             0);
	sv_rest_auth_free(a);
}

static void test_reload(void)
{
	char err[512] = "", user[64];
	struct sv_rest_auth *a;
	struct timespec ts = {0, 20 * 1000 * 1000};

	write_alice("one", "$6$saltsalt$");
	a = sv_rest_auth_new(path, err, sizeof(err));
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alice:one"), user, sizeof(user)), 0);
	nanosleep(&ts, NULL);
	write_alice("two", "$6$otherslt$");
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alice:one"), user, sizeof(user)),
	    -EACCES);
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alice:two"), user, sizeof(user)), 0);
	/* an invalid new file: the old users stay */
	nanosleep(&ts, NULL);
	write_file("alice:plaintext\n");
	CHECK_EQ_INT(
	    sv_rest_auth_check(a, basic("alice:two"), user, sizeof(user)), 0);
	sv_rest_auth_free(a);
}

static void refused(const char *text, const char *why)
{
	char err[512] = "";
	struct sv_rest_auth *a;

	write_file(text);
	a = sv_rest_auth_new(path, err, sizeof(err));
	CHECK(a == NULL);
	if (!strstr(err, why)) {
		test_failures++;
		fprintf(stderr, "  \"%s\" does not say \"%s\"\n", err, why);
	}
	sv_rest_auth_free(a);
}

static void test_refused(void)
{
	char err[512] = "";

	refused("alice:wonderland\n", "users:1: the password of alice is not");
	refused("# x\nalice:abJnggxhB/yJU\n", "users:2: the password of alice");
	refused("alice:$1$salt$qJH7.N4xYta3aEG/dfqo/0\n", "users:1:");
	refused("alice:$6$\n", "the hash of alice is malformed");
	refused("alice\n", "users:1: expected user:hash");
	refused(":$6$x$y\n", "users:1: expected user:hash");
	refused(BOB BOB, "users:2: user bob is listed twice");
	refused("# nobody\n\n", "no user is defined");
	CHECK(sv_rest_auth_new("/nonexistent/users", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/users") != NULL);
	sv_rest_auth_free(NULL);
	unlink(path);
	rmdir(dir);
}

TEST_LIST = {
    {"base64", test_base64},   {"check", test_check}, {"reload", test_reload},
    {"refused", test_refused}, {NULL, NULL},
};
