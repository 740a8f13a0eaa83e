/*
 * th_sandbox_null.c: no confinement at all, for debugging and for runs
 * under AddressSanitizer or valgrind (which need what the sandbox
 * forbids). Says so on every start.
 */
#include <stdio.h>

#include "th_sandbox.h"

static int null_enter(struct th_sandbox_spec *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	fprintf(stderr, "TH-SANDBOX-NONE sandbox=none: this task runs "
	                "UNCONFINED, with the rights of sluiced's user\n");
	return 0;
}

static int null_lock(const struct th_sandbox_spec *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;
}

const struct th_sandbox_ops th_sandbox_null_ops = {
    .name = "none",
    .enter = null_enter,
    .lock = null_lock,
};
