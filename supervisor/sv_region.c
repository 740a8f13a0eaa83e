/* sv_region.c: see sv_region.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sv_region.h"

struct sv_region *sv_region_create(uint32_t slots, uint32_t slot_size, int *fd,
                                   char *err, size_t errlen)
{
	size_t size = (size_t)slots * slot_size;
	struct sv_region *r;
	void *p;
	int f, e;

	*fd = -1;
	if (!slots || !slot_size) {
		snprintf(err, errlen, "an empty batch region");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->taken = calloc(slots, 1))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f = memfd_create("sluice-batches", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f == -1) {
		e = errno;
		snprintf(err, errlen, "memfd_create: %s", strerror(e));
		goto out_free;
	}
	if (ftruncate(f, (off_t)size) == -1 ||
	    fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ==
	        -1) {
		e = errno;
		snprintf(err, errlen, "batch region of %zu bytes: %s", size,
		         strerror(e));
		goto out_close;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, f, 0);
	if (p == MAP_FAILED) {
		e = errno;
		snprintf(err, errlen, "mmap of the batch region: %s",
		         strerror(e));
		goto out_close;
	}
	r->base = p;
	r->size = size;
	r->slots = slots;
	r->slot_size = slot_size;
	r->refs = 1;
	*fd = f;
	return r;
out_close:
	close(f);
out_free:
	free(r->taken);
	free(r);
	return NULL;
}

const unsigned char *sv_region_take(struct sv_region *r, uint32_t slot,
                                    uint32_t len, char *err, size_t errlen)
{
	if (!r) {
		snprintf(err, errlen, "no batch region");
		return NULL;
	}
	if (slot >= r->slots || len == 0 || len > r->slot_size) {
		snprintf(err, errlen,
		         "out of the batch region: slot %u of %u, %u bytes of "
		         "%u",
		         slot, r->slots, len, r->slot_size);
		return NULL;
	}
	if (r->taken[slot]) {
		snprintf(err, errlen,
		         "slot %u sent again before its batch was "
		         "acknowledged",
		         slot);
		return NULL;
	}
	r->taken[slot] = 1;
	r->refs++;
	return r->base + (size_t)slot * r->slot_size;
}

static void unref(struct sv_region *r)
{
	if (--r->refs)
		return;
	munmap((void *)r->base, r->size);
	free(r->taken);
	free(r);
}

void sv_region_release(struct sv_region *r, uint32_t slot)
{
	r->taken[slot] = 0;
	unref(r);
}

void sv_region_put(struct sv_region *r)
{
	if (r)
		unref(r);
}
