/*
 * test_sv_region.c: the batch region's slots: what the task writes is
 * what sluiced reads, a slot out of bounds or taken twice is refused, the
 * region is sealed against truncation, and it stays mapped while a slot
 * is taken after its creator let go of it.
 */
#include <errno.h>
#include <fcntl.h>
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

static void test_take_release(void)
{
	char err[256];
	int fd;
	struct sv_region *r = sv_region_create(4, 4096, &fd, err, sizeof(err));
	unsigned char *task;
	const unsigned char *p;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(fd >= 0);
	task = task_map(fd, 4 * 4096);
	CHECK(task != NULL);
	if (!task)
		return;
	memcpy(task + 2 * 4096, "frame", 5);
	p = sv_region_take(r, 2, 5, err, sizeof(err));
	CHECK(p != NULL && memcmp(p, "frame", 5) == 0);
	CHECK_EQ_INT(r->refs, 2);
	/* taken: the task may not hand it over again before the ack */
	CHECK(sv_region_take(r, 2, 5, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "slot 2 sent again before its batch was "
	                  "acknowledged") != NULL);
	/* other slots are free */
	CHECK(sv_region_take(r, 3, 4096, err, sizeof(err)) != NULL);
	sv_region_release(r, 3);
	sv_region_release(r, 2);
	CHECK_EQ_INT(r->refs, 1);
	CHECK(sv_region_take(r, 2, 5, err, sizeof(err)) != NULL);
	sv_region_release(r, 2);
	munmap(task, 4 * 4096);
	close(fd);
	sv_region_put(r);
}

static void test_bounds(void)
{
	char err[256];
	int fd;
	struct sv_region *r = sv_region_create(4, 4096, &fd, err, sizeof(err));

	CHECK(r != NULL);
	if (!r)
		return;
	close(fd);
	CHECK(sv_region_take(r, 4, 10, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "out of the batch region: slot 4 of 4, 10 bytes of "
	                  "4096");
	CHECK(sv_region_take(r, 0, 4097, err, sizeof(err)) == NULL);
	CHECK(sv_region_take(r, 0, 0, err, sizeof(err)) == NULL);
	CHECK(sv_region_take(r, UINT32_MAX, 1, err, sizeof(err)) == NULL);
	CHECK(sv_region_take(NULL, 0, 1, err, sizeof(err)) == NULL);
	CHECK_EQ_STR(err, "no batch region");
	CHECK_EQ_INT(r->refs, 1);
	sv_region_put(r);
	CHECK(sv_region_create(0, 4096, &fd, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(fd, -1);
}

/* The task can neither shrink nor grow the region, nor change its seals. */
static void test_sealed(void)
{
	char err[256];
	int fd;
	struct sv_region *r = sv_region_create(2, 4096, &fd, err, sizeof(err));

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(ftruncate(fd, 4096) == -1 && errno == EPERM);
	CHECK(ftruncate(fd, 3 * 4096) == -1 && errno == EPERM);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM);
	close(fd);
	sv_region_put(r);
}

/* The task's process is gone (its creator let go) while a batch is still
 * being produced from a slot: the slot stays readable until released. */
static void test_outlives_creator(void)
{
	char err[256];
	int fd;
	struct sv_region *r = sv_region_create(2, 4096, &fd, err, sizeof(err));
	unsigned char *task;
	const unsigned char *p;

	CHECK(r != NULL);
	if (!r)
		return;
	task = task_map(fd, 2 * 4096);
	CHECK(task != NULL);
	if (!task)
		return;
	memcpy(task + 4096, "still here", 10);
	munmap(task, 2 * 4096);
	close(fd);
	p = sv_region_take(r, 1, 10, err, sizeof(err));
	CHECK(p != NULL);
	sv_region_put(r);
	CHECK(p != NULL && memcmp(p, "still here", 10) == 0);
	sv_region_release(r, 1); /* the last hold: unmapped and freed */
}

TEST_LIST = {
    {"take_release", test_take_release},
    {"bounds", test_bounds},
    {"sealed", test_sealed},
    {"outlives_creator", test_outlives_creator},
    {NULL, NULL},
};
