/* th_sandbox.c: picks a sandbox implementation by name. */
#include <string.h>

#include "th_sandbox.h"

const struct th_sandbox_ops *th_sandbox_find(const char *mode)
{
	if (!mode || strcmp(mode, "default") == 0)
		return &th_sandbox_linux_ops;
	if (strcmp(mode, "none") == 0)
		return &th_sandbox_null_ops;
	return NULL;
}
