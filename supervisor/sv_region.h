/*
 * sv_region.h: the batch region of a source task, shared memory that the
 * taskhost writes its SOURCE_BATCH frames into instead of sending them
 * through its socket (protocol/PROTOCOL.md, SOURCE_SHARED).
 *
 * sluiced creates one region per taskhost process: a memfd of `slots`
 * slots of `slot_size` bytes, sealed so that it can neither shrink nor
 * grow (a taskhost that truncated it would make sluiced's reads fault),
 * mapped read-only here and given to the taskhost as its descriptor 3.
 *
 * sluiced produces straight from a slot: librdkafka holds pointers to the
 * values in it until their delivery reports. A slot is taken when its
 * SOURCE_SHARED arrives and released when every record of the batch has
 * reported, which is when the task may reuse it (SOURCE_ACK); a slot
 * named again before that is a protocol violation. The region stays
 * mapped while a slot is taken, after the task is gone too.
 *
 * The task can still write into a taken slot. What sluiced reads from
 * it is checked where it is used (sv_source.c): topic names and offsets
 * are copied before they are checked, records are walked bounds-checked
 * when they are produced, and librdkafka copies every value before it
 * checksums and sends it (values over message.copy.max.bytes are copied
 * when they are produced). A task that rewrites a slot it sent changes
 * nothing but its own records.
 */
#ifndef SLUICE_SV_REGION_H
#define SLUICE_SV_REGION_H

#include <stddef.h>
#include <stdint.h>

struct sv_region {
	const unsigned char *base;
	size_t size;
	uint32_t slots;
	uint32_t slot_size;
	uint32_t refs;  /* the creator's, and one per taken slot */
	uint8_t *taken; /* per slot */
};

/* Creates and maps a region; *fd is the memfd for the child (the caller
 * closes it once the child has it). NULL with err set on failure. */
struct sv_region *sv_region_create(uint32_t slots, uint32_t slot_size, int *fd,
                                   char *err, size_t errlen);

/* Takes slot, whose first len bytes are a frame, and returns them. NULL
 * with err set if slot or len are out of bounds or the slot is taken. */
const unsigned char *sv_region_take(struct sv_region *r, uint32_t slot,
                                    uint32_t len, char *err, size_t errlen);

/* The slot is free again; the region goes once nothing holds it. */
void sv_region_release(struct sv_region *r, uint32_t slot);

/* Drops the creator's hold (the process is gone). NULL is fine. */
void sv_region_put(struct sv_region *r);

#endif /* SLUICE_SV_REGION_H */
