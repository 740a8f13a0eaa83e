/* sv_region.c: see sv_region.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sv_region.h"

int sv_region_create(struct sv_region *r, uint32_t slots, uint32_t slot_size,
                     int *fd, char *err, size_t errlen)
{
	size_t size = (size_t)slots * slot_size;
	void *p;
	int f, e;

	memset(r, 0, sizeof(*r));
	*fd = -1;
	if (!slots || !slot_size) {
		snprintf(err, errlen, "an empty batch region");
		return -EINVAL;
	}
	f = memfd_create("sluice-batches", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f == -1) {
		e = errno;
		snprintf(err, errlen, "memfd_create: %s", strerror(e));
		return -e;
	}
	if (ftruncate(f, (off_t)size) == -1 ||
	    fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ==
	        -1) {
		e = errno;
		snprintf(err, errlen, "batch region of %zu bytes: %s", size,
		         strerror(e));
		close(f);
		return -e;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, f, 0);
	if (p == MAP_FAILED) {
		e = errno;
		snprintf(err, errlen, "mmap of the batch region: %s",
		         strerror(e));
		close(f);
		return -e;
	}
	r->base = p;
	r->size = size;
	r->slots = slots;
	r->slot_size = slot_size;
	*fd = f;
	return 0;
}

void *sv_region_copy(const struct sv_region *r, uint32_t slot, uint32_t len,
                     char *err, size_t errlen)
{
	void *buf;

	if (!r->base) {
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
	if (!(buf = malloc(len))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(buf, r->base + (size_t)slot * r->slot_size, len);
	return buf;
}

void sv_region_unmap(struct sv_region *r)
{
	if (r->base)
		munmap((void *)r->base, r->size);
	memset(r, 0, sizeof(*r));
}
