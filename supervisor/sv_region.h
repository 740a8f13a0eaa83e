/*
 * sv_region.h: the batch region of a source task, shared memory that the
 * taskhost writes its SOURCE_BATCH frames into instead of sending them
 * through its socket (protocol/PROTOCOL.md, SOURCE_SHARED).
 *
 * sluiced creates one region per taskhost process: a memfd of `slots`
 * slots of `slot_size` bytes, sealed so that it can neither shrink nor
 * grow (a taskhost that truncated it would make sluiced's reads fault),
 * mapped read-only here and given to the taskhost as its descriptor 3.
 * The taskhost may write anything into it at any time, so sluiced copies
 * a frame out of its slot, bounds-checked, before it reads a byte of it:
 * what it parses and produces is its own copy, never memory the task can
 * still change.
 */
#ifndef SLUICE_SV_REGION_H
#define SLUICE_SV_REGION_H

#include <stddef.h>
#include <stdint.h>

struct sv_region {
	const unsigned char *base; /* NULL: no region */
	size_t size;
	uint32_t slots;
	uint32_t slot_size;
};

/* Creates and maps a region; *fd is the memfd for the child (the caller
 * closes it once the child has it). 0, or -errno with err set. */
int sv_region_create(struct sv_region *r, uint32_t slots, uint32_t slot_size,
                     int *fd, char *err, size_t errlen);

/* Copies the len bytes at the start of slot into a new malloc'd buffer.
 * NULL with err set if slot or len are out of bounds (or no memory). */
void *sv_region_copy(const struct sv_region *r, uint32_t slot, uint32_t len,
                     char *err, size_t errlen);

void sv_region_unmap(struct sv_region *r);

#endif /* SLUICE_SV_REGION_H */
