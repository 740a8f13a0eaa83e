/*
 * testhelp.h: the in-tree unit test harness.
 *
 * A test file defines its cases as functions and lists them:
 *
 *	static void test_roundtrip(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *	TEST_LIST = {
 *		{"roundtrip", test_roundtrip},
 *		{NULL, NULL},
 *	};
 *
 * main() is provided: it runs every case (or those named on the command
 * line), prints one line per failed check and a summary line
 * "N passed, N failed" (cases, not checks), and exits non-zero on failure.
 */
#ifndef SLUICE_TESTHELP_H
#define SLUICE_TESTHELP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern const struct test_case test_list[];
#define TEST_LIST const struct test_case test_list[]

static int test_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			test_failures++;                                       \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",         \
				__FILE__, __LINE__, #cond);                    \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			test_failures++;                                       \
			fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n",   \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
		}                                                              \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                     \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                       \
			test_failures++;                                       \
			fprintf(stderr, "  %s:%d: %s == %s: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                           \
		}                                                              \
	} while (0)

/* Compares n bytes; prints both sides as text (tests use printable data). */
#define CHECK_EQ_MEM(a, alen, b, blen)                                         \
	do {                                                                   \
		size_t al_ = (alen), bl_ = (blen);                             \
		if (al_ != bl_ || memcmp((a), (b), al_) != 0) {                \
			test_failures++;                                       \
			fprintf(stderr, "  %s:%d: %s != %s: \"%.*s\" vs \"%.*s\"\n", \
				__FILE__, __LINE__, #a, #b, (int)al_,          \
				(const char *)(a), (int)bl_,                   \
				(const char *)(b));                            \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (const struct test_case *t = test_list; t->name; t++) {
		int before = test_failures;

		if (argc > 1) {
			int wanted = 0;

			for (int i = 1; i < argc; i++)
				wanted |= strcmp(argv[i], t->name) == 0;
			if (!wanted)
				continue;
		}
		t->fn();
		if (test_failures == before) {
			passed++;
			printf("ok   %s\n", t->name);
		} else {
			failed++;
			printf("FAIL %s\n", t->name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif /* SLUICE_TESTHELP_H */
