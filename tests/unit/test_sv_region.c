/*
 * test_sv_region.c: the batch region: what the task writes into a slot
 * is what sluiced copies out, a copy is sluiced's own (the task writing
 * the slot again changes nothing in it), a slot or length out of bounds
 * is refused, and the region is sealed against truncation and growth.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../supervisor/sv_region.h"
#include "testhelp.h"

/* The task's view: the memfd mapped read-write, as the taskhost maps it. */
static unsigned char *task_map(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void test_copy(void)
{
	struct sv_region r;
	char err[256];
	unsigned char *task;
	char *copy;
	int fd;

	CHECK_EQ_INT(sv_region_create(&r, 4, 4096, &fd, err, sizeof(err)), 0);
	if (!r.base)
		return;
	task = task_map(fd, 4 * 4096);
	CHECK(task != NULL);
	if (task) {
		memcpy(task + 2 * 4096, "frame", 5);
		copy = sv_region_copy(&r, 2, 5, err, sizeof(err));
		CHECK(copy != NULL && memcmp(copy, "frame", 5) == 0);
		/* the task writes the slot again: the copy stays */
		memset(task + 2 * 4096, 0xc1, 4096);
		CHECK(copy != NULL && memcmp(copy, "frame", 5) == 0);
		free(copy);
		munmap(task, 4 * 4096);
	}
	close(fd);
	sv_region_unmap(&r);
	CHECK(r.base == NULL);
}

static void test_bounds(void)
{
	struct sv_region r, none = {0};
	char err[256];
	int fd;

	CHECK_EQ_INT(sv_region_create(&r, 4, 4096, &fd, err, sizeof(err)), 0);
	if (!r.base)
		return;
	close(fd);
	CHECK(sv_region_copy(&r, 4, 10, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "out of the batch region: slot 4 of 4, 10 bytes of "
	                  "4096");
	CHECK(sv_region_copy(&r, 0, 4097, err, sizeof(err)) == NULL);
	CHECK(sv_region_copy(&r, 0, 0, err, sizeof(err)) == NULL);
	CHECK(sv_region_copy(&r, UINT32_MAX, 1, err, sizeof(err)) == NULL);
	CHECK(sv_region_copy(&none, 0, 1, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "no batch region");
	sv_region_unmap(&r);
	CHECK(sv_region_create(&r, 0, 4096, &fd, err, sizeof(err)) != 0);
}

/* The task can neither shrink nor grow the region, nor change its seals. */
static void test_sealed(void)
{
	struct sv_region r;
	char err[256];
	int fd;

	CHECK_EQ_INT(sv_region_create(&r, 2, 4096, &fd, err, sizeof(err)), 0);
	if (!r.base)
		return;
	CHECK(ftruncate(fd, 4096) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 3 * 4096) == -1 && errno == EPERM);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM);
	close(fd);
	sv_region_unmap(&r);
}

TEST_LIST = {
    {"copy", test_copy},
    {"bounds", test_bounds},
    {"sealed", test_sealed},
    {NULL, NULL},
};
