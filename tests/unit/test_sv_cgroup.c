/*
 * test_sv_cgroup.c: the cgroup leaves of sv_cgroup.c on fake cgroup trees
 * (directories that stand for /sys/fs/cgroup): cgroup v2 with delegated
 * controllers, a v1 hybrid like Debian's, and none at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../supervisor/sv_cgroup.h"
#include "testhelp.h"

static char root[] = "/tmp/test_sv_cgroup.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	slash = strrchr(dir, '/');
	*slash = '\0';
	mkdir(dir, 0755);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *get(const char *rel)
{
	static char buf[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	if (!(f = fopen(path, "r")))
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void fresh(void)
{
	char cmd[600];

	if (strstr(root, "XXXXXX"))
		mkdtemp(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot clean %s\n", root);
}

static void test_v2(void)
{
	static const struct sv_cgroup_limits lim = {300 << 20, 64, 50000,
	                                            100000};
	const char *dirs[SV_CGROUP_DIRS_MAX];
	char err[512] = "";
	size_t n = 0;

	fresh();
	put("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	put("svc/cgroup.controllers", "cpu memory pids\n");
	put("svc/cgroup.subtree_control", "");
	/* a real cgroupfs makes these files by itself (and a write
	 * replaces the value; here the files start empty) */
	put("svc/sluiced-4242/cgroup.subtree_control", "");
	put("svc/sluiced-4242/src-0/memory.max", "");
	put("svc/sluiced-4242/src-0/pids.max", "");
	put("svc/sluiced-4242/src-0/cpu.max", "");
	sv_cgroup_set_root(root, "0::/svc\n", 4242);
	CHECK_EQ_INT(sv_cgroup_leaf("src-0", &lim, dirs, &n, err, sizeof(err)),
	             0);
	CHECK_EQ_STR(sv_cgroup_mode(), "cgroup v2");
	CHECK(sv_cgroup_note() == NULL);
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && strstr(dirs[0], "/svc/sluiced-4242/src-0"));
	CHECK_EQ_STR(get("svc/cgroup.subtree_control"), "+memory +pids +cpu");
	CHECK_EQ_STR(get("svc/sluiced-4242/cgroup.subtree_control"),
	             "+memory +pids +cpu");
	CHECK_EQ_STR(get("svc/sluiced-4242/src-0/memory.max"), "314572800");
	CHECK_EQ_STR(get("svc/sluiced-4242/src-0/pids.max"), "64");
	CHECK_EQ_STR(get("svc/sluiced-4242/src-0/cpu.max"), "50000 100000");
}

static void test_v1_hybrid(void)
{
	static const struct sv_cgroup_limits lim = {128 << 20, 0, 0, 0};
	const char *dirs[SV_CGROUP_DIRS_MAX];
	char err[512] = "";
	size_t n = 0;

	fresh();
	put("unified/cgroup.controllers", "hugetlb\n");
	put("memory/box/sluiced-7/t-1/memory.limit_in_bytes", "");
	put("pids/sluiced-7/t-1/pids.max", "");
	put("cpu/sluiced-7/t-1/cpu.cfs_quota_us", "");
	put("cpu/sluiced-7/t-1/cpu.cfs_period_us", "");
	sv_cgroup_set_root(
	    root, "8:pids:/\n4:memory:/box\n1:cpu,cpuacct:/\n0::/\n", 7);
	CHECK_EQ_INT(sv_cgroup_leaf("t-1", &lim, dirs, &n, err, sizeof(err)),
	             0);
	CHECK_EQ_STR(sv_cgroup_mode(), "cgroup v1");
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(get("memory/box/sluiced-7/t-1/memory.limit_in_bytes"),
	             "134217728");
	/* 0 is no limit */
	CHECK_EQ_STR(get("pids/sluiced-7/t-1/pids.max"), "max");
	CHECK_EQ_STR(get("cpu/sluiced-7/t-1/cpu.cfs_quota_us"), "-1");
	CHECK_EQ_STR(get("cpu/sluiced-7/t-1/cpu.cfs_period_us"), "100000");
	/* reused: the limits are written again (a fake file keeps what
	 * was written: empty it as cgroupfs would read back) */
	put("pids/sluiced-7/t-1/pids.max", "");
	CHECK_EQ_INT(
	    sv_cgroup_leaf("t-1", &(struct sv_cgroup_limits){1 << 26, 9, 0, 0},
	                   dirs, &n, err, sizeof(err)),
	    0);
	CHECK_EQ_STR(get("pids/sluiced-7/t-1/pids.max"), "9");
	/* an odd name is made safe */
	put("pids/sluiced-7/a_b_/pids.max", "");
	put("memory/box/sluiced-7/a_b_/memory.limit_in_bytes", "");
	put("cpu/sluiced-7/a_b_/cpu.cfs_quota_us", "");
	put("cpu/sluiced-7/a_b_/cpu.cfs_period_us", "");
	CHECK_EQ_INT(sv_cgroup_leaf("a/b?", &lim, dirs, &n, err, sizeof(err)),
	             0);
	CHECK(n == 3 && strstr(dirs[1], "/sluiced-7/a_b_"));
}

static void test_none(void)
{
	static const struct sv_cgroup_limits lim = {128 << 20, 10, 0, 0};
	const char *dirs[SV_CGROUP_DIRS_MAX];
	char err[512] = "";
	size_t n = 9;

	fresh();
	put("unified/cgroup.controllers", "hugetlb\n");
	sv_cgroup_set_root(root, "0::/\n", 11);
	CHECK_EQ_INT(sv_cgroup_leaf("x", &lim, dirs, &n, err, sizeof(err)),
	             -ENOTSUP);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_STR(sv_cgroup_mode(), "none");
	CHECK(sv_cgroup_note() && strstr(sv_cgroup_note(), "no cgroup") &&
	      strstr(sv_cgroup_note(), "rlimits"));
	CHECK(strstr(err, "no memory and pids controllers"));
}

TEST_LIST = {
    {"v2_delegated", test_v2},
    {"v1_hybrid", test_v1_hybrid},
    {"none", test_none},
    {NULL, NULL},
};
