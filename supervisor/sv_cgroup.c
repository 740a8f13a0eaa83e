/* sv_cgroup.c: see sv_cgroup.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv_cgroup.h"

enum mode {
	MODE_UNKNOWN,
	MODE_NONE,
	MODE_V1,
	MODE_V2,
};

struct leaf {
	char *name;
	char *dirs[SV_CGROUP_DIRS_MAX];
	size_t ndirs;
	struct leaf *next;
};

/* v1: one base per hierarchy, in this order; cpu may be missing */
enum { H_MEMORY, H_PIDS, H_CPU };

static struct {
	enum mode mode;
	const char *root;
	const char *self; /* test text of /proc/self/cgroup, or NULL */
	int pid;
	char note[1024];
	char base[SV_CGROUP_DIRS_MAX][PATH_MAX];
	bool has[SV_CGROUP_DIRS_MAX]; /* v1: hierarchy usable */
	bool cpu;                     /* cpu limits possible */
	bool exit_hook;
	struct leaf *leaves;
} cg = {.root = "/sys/fs/cgroup"};

static void leaf_free(struct leaf *l);

void sv_cgroup_set_root(const char *root, const char *self, int pid)
{
	struct leaf *l;

	while ((l = cg.leaves)) {
		cg.leaves = l->next;
		leaf_free(l);
	}
	memset(cg.has, 0, sizeof(cg.has));
	cg.root = root;
	cg.self = self;
	cg.pid = pid;
	cg.mode = MODE_UNKNOWN;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	size_t n = strlen(val);
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		rc = errno ? -errno : -EIO;
	close(fd);
	return rc;
}

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static bool has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		bool start = p == list || strchr(seps, p[-1]);
		bool end = p[n] == '\0' || strchr(seps, p[n]);

		if (start && end)
			return true;
	}
	return false;
}

/* The path of this process in the hierarchy whose controller list holds
 * `ctrl` ("" for the v2 line), from /proc/self/cgroup. */
static int own_path(const char *ctrl, char *out, size_t len)
{
	char buf[8192], *line, *save = NULL;
	FILE *f;
	size_t n;

	if (cg.self) {
		snprintf(buf, sizeof(buf), "%s", cg.self);
	} else {
		if (!(f = fopen("/proc/self/cgroup", "re")))
			return -errno;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'),
		     *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		if ((*ctrl == '\0' && c2 == c1 + 1 &&
		     strncmp(line, "0:", 2) == 0) ||
		    (*ctrl && has_word(c1 + 1, ctrl, ","))) {
			snprintf(out, len, "%s",
			         strcmp(c2 + 1, "/") ? c2 + 1 : "");
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Removes stale "sluiced-<pid>" directories of dead sluiced processes. */
static void sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], sub[PATH_MAX];
		char *end;
		long pid;
		DIR *dd;
		struct dirent *e;

		if (strncmp(de->d_name, "sluiced-", 8) != 0)
			continue;
		pid = strtol(de->d_name + 8, &end, 10);
		if (*end || pid <= 0 || pid == cg.pid ||
		    !(kill((pid_t)pid, 0) == -1 && errno == ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		if ((dd = opendir(path))) {
			while ((e = readdir(dd)))
				if (e->d_name[0] != '.' &&
				    snprintf(sub, sizeof(sub), "%s/%s", path,
				             e->d_name) < (int)sizeof(sub))
					rmdir(sub);
			closedir(dd);
		}
		rmdir(path);
	}
	closedir(d);
}

static int make_base(const char *dir, char *base, size_t len)
{
	if (snprintf(base, len, "%s/sluiced-%d", dir, cg.pid) >= (int)len)
		return -ENAMETOOLONG;
	sweep(dir);
	if (mkdir(base, 0755) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

static int try_v2(char *why, size_t len)
{
	char mnt[PATH_MAX], path[PATH_MAX], dir[2 * PATH_MAX], ctrls[512];
	char enable[64], sup[PATH_MAX + 16], pid[32];
	int rc;

	snprintf(mnt, sizeof(mnt), "%s", cg.root);
	if (read_str(mnt, "cgroup.controllers", ctrls, sizeof(ctrls))) {
		snprintf(mnt, sizeof(mnt), "%s/unified", cg.root);
		if (read_str(mnt, "cgroup.controllers", ctrls, sizeof(ctrls))) {
			snprintf(why, len, "no cgroup v2 hierarchy");
			return -ENOTSUP;
		}
	}
	if (own_path("", path, sizeof(path))) {
		snprintf(why, len, "not in a cgroup v2 hierarchy");
		return -ENOTSUP;
	}
	snprintf(dir, sizeof(dir), "%s%s", mnt, path);
	if ((rc = read_str(dir, "cgroup.controllers", ctrls, sizeof(ctrls))) ||
	    !has_word(ctrls, "memory", " \n") ||
	    !has_word(ctrls, "pids", " \n")) {
		snprintf(
		    why, len,
		    "cgroup v2 at %.200s has no memory and pids controllers "
		    "delegated",
		    dir);
		return -ENOTSUP;
	}
	cg.cpu = has_word(ctrls, "cpu", " \n");
	snprintf(enable, sizeof(enable), "+memory +pids%s",
	         cg.cpu ? " +cpu" : "");
	if ((rc = make_base(dir, cg.base[0], sizeof(cg.base[0])))) {
		snprintf(why, len, "cannot create %.200s/sluiced-%d: %s", dir,
		         cg.pid, strerror(-rc));
		return -ENOTSUP;
	}
	if ((rc = write_str(dir, "cgroup.subtree_control", enable)) == -EBUSY) {
		/* our cgroup has processes (us): move into a leaf of our own,
		 * then the controllers may be given to children */
		snprintf(sup, sizeof(sup), "%s/supervisor", cg.base[0]);
		snprintf(pid, sizeof(pid), "%d\n", cg.pid);
		if ((mkdir(sup, 0755) == 0 || errno == EEXIST) &&
		    write_str(sup, "cgroup.procs", pid) == 0)
			rc = write_str(dir, "cgroup.subtree_control", enable);
	}
	if (rc == 0)
		rc = write_str(cg.base[0], "cgroup.subtree_control", enable);
	if (rc) {
		snprintf(
		    why, len,
		    "cannot enable the memory and pids controllers in %.200s "
		    "(other processes in sluiced's cgroup?): %s",
		    dir, strerror(-rc));
		rmdir(cg.base[0]);
		return -ENOTSUP;
	}
	cg.has[0] = true;
	return 0;
}

static int try_v1(char *why, size_t len)
{
	static const char *const names[] = {"memory", "pids", "cpu"};
	char path[PATH_MAX], dir[2 * PATH_MAX];
	int rc;

	for (int h = H_MEMORY; h <= H_CPU; h++) {
		cg.has[h] = false;
		snprintf(dir, sizeof(dir), "%s/%s", cg.root, names[h]);
		if (!is_dir(dir) || own_path(names[h], path, sizeof(path))) {
			if (h == H_CPU)
				break;
			snprintf(why, len, "no cgroup v1 %s hierarchy",
			         names[h]);
			return -ENOTSUP;
		}
		snprintf(dir, sizeof(dir), "%s/%s%s", cg.root, names[h], path);
		if ((rc = make_base(dir, cg.base[h], sizeof(cg.base[h])))) {
			if (h == H_CPU)
				break;
			snprintf(why, len,
			         "cgroup v1 %s hierarchy at %.200s is not "
			         "writable: %s",
			         names[h], dir, strerror(-rc));
			if (h == H_PIDS)
				rmdir(cg.base[H_MEMORY]);
			return -ENOTSUP;
		}
		cg.has[h] = true;
	}
	cg.cpu = cg.has[H_CPU];
	return 0;
}

static void cleanup(void)
{
	struct leaf *l;

	while ((l = cg.leaves)) {
		cg.leaves = l->next;
		for (size_t i = 0; i < l->ndirs; i++) {
			rmdir(l->dirs[i]);
			free(l->dirs[i]);
		}
		free(l->name);
		free(l);
	}
	for (int h = 0; h < SV_CGROUP_DIRS_MAX; h++)
		if (cg.has[h])
			rmdir(cg.base[h]);
}

static void probe(void)
{
	char why2[384] = "", why1[384] = "";

	if (!cg.pid)
		cg.pid = (int)getpid();
	if (try_v2(why2, sizeof(why2)) == 0) {
		cg.mode = MODE_V2;
	} else if (try_v1(why1, sizeof(why1)) == 0) {
		cg.mode = MODE_V1;
	} else {
		cg.mode = MODE_NONE;
		snprintf(
		    cg.note, sizeof(cg.note),
		    "no cgroup for tasks (%s; %s): memory, processes and "
		    "files are limited by rlimits only, CPU time not at all",
		    why2, why1);
	}
	if (cg.mode != MODE_NONE && !cg.exit_hook && !cg.self) {
		atexit(cleanup);
		cg.exit_hook = true;
	}
}

const char *sv_cgroup_mode(void)
{
	switch (cg.mode) {
	case MODE_V2:
		return "cgroup v2";
	case MODE_V1:
		return "cgroup v1";
	case MODE_NONE:
		return "none";
	default:
		return NULL;
	}
}

const char *sv_cgroup_note(void)
{
	return cg.mode == MODE_NONE ? cg.note : NULL;
}

static struct leaf *find(const char *name)
{
	for (struct leaf *l = cg.leaves; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

static void leaf_free(struct leaf *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->ndirs; i++)
		free(l->dirs[i]);
	free(l->name);
	free(l);
}

static struct leaf *leaf_new(const char *name, char *err, size_t errlen)
{
	struct leaf *l = calloc(1, sizeof(*l));
	char safe[200];
	size_t i;

	for (i = 0; name[i] && i < sizeof(safe) - 1; i++) {
		bool ok = (name[i] >= 'a' && name[i] <= 'z') ||
		          (name[i] >= 'A' && name[i] <= 'Z') ||
		          (name[i] >= '0' && name[i] <= '9') ||
		          strchr("._-", name[i]);

		safe[i] = ok ? name[i] : '_';
	}
	safe[i] = '\0';
	if (i == 0)
		snprintf(safe, sizeof(safe), "_");
	/* not a name of ours, nor . or .. */
	if (strcmp(safe, ".") == 0 || strcmp(safe, "..") == 0 ||
	    strcmp(safe, "supervisor") == 0)
		safe[0] = '_';
	if (!l || !(l->name = strdup(name)))
		goto out_nomem;
	for (int h = 0; h < SV_CGROUP_DIRS_MAX; h++) {
		char *d;

		if (!cg.has[h])
			continue;
		if (asprintf(&d, "%s/%s", cg.base[h], safe) < 0)
			goto out_nomem;
		l->dirs[l->ndirs++] = d;
		if (mkdir(d, 0755) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create cgroup %s: %s", d,
			         strerror(errno));
			leaf_free(l);
			return NULL;
		}
	}
	return l;
out_nomem:
	snprintf(err, errlen, "out of memory");
	leaf_free(l);
	return NULL;
}

static int set_limits(struct leaf *l, const struct sv_cgroup_limits *lim,
                      char *err, size_t errlen)
{
	uint64_t period = lim->cpu_period_us ? lim->cpu_period_us : 100000;
	char mem[32], pids[32], quota[32], per[32], cpu[64];
	const char *file = NULL, *dir = NULL;
	int rc = 0;

	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)lim->pids_max);
	snprintf(per, sizeof(per), "%llu", (unsigned long long)period);
	snprintf(quota, sizeof(quota), "%llu",
	         (unsigned long long)lim->cpu_quota_us);
	if (cg.mode == MODE_V2) {
		dir = l->dirs[0];
		snprintf(mem, sizeof(mem), "%llu",
		         (unsigned long long)lim->memory_max);
		snprintf(cpu, sizeof(cpu), "%s %s",
		         lim->cpu_quota_us ? quota : "max", per);
		if ((rc = write_str(dir, file = "memory.max",
		                    lim->memory_max ? mem : "max")) ||
		    (rc = write_str(dir, file = "pids.max",
		                    lim->pids_max ? pids : "max")) ||
		    (cg.cpu && (rc = write_str(dir, file = "cpu.max", cpu))))
			goto out;
		/* no swap to grow into, where swap is accounted */
		write_str(dir, "memory.swap.max", "0");
		return 0;
	}
	snprintf(mem, sizeof(mem), "%lld",
	         lim->memory_max ? (long long)lim->memory_max : -1LL);
	if ((rc = write_str(dir = l->dirs[H_MEMORY],
	                    file = "memory.limit_in_bytes", mem)) ||
	    (rc = write_str(dir = l->dirs[H_PIDS], file = "pids.max",
	                    lim->pids_max ? pids : "max")))
		goto out;
	if (cg.cpu && ((rc = write_str(dir = l->dirs[H_CPU],
	                               file = "cpu.cfs_period_us", per)) ||
	               (rc = write_str(dir, file = "cpu.cfs_quota_us",
	                               lim->cpu_quota_us ? quota : "-1"))))
		goto out;
	return 0;
out:
	snprintf(err, errlen, "cannot write %s/%s: %s", dir, file,
	         strerror(-rc));
	return rc;
}

int sv_cgroup_leaf(const char *name, const struct sv_cgroup_limits *lim,
                   const char *dirs[SV_CGROUP_DIRS_MAX], size_t *ndirs,
                   char *err, size_t errlen)
{
	struct leaf *l;
	int rc;

	*ndirs = 0;
	if (cg.mode == MODE_UNKNOWN)
		probe();
	if (cg.mode == MODE_NONE) {
		snprintf(err, errlen, "%s", cg.note);
		return -ENOTSUP;
	}
	if (!(l = find(name))) {
		if (!(l = leaf_new(name, err, errlen)))
			return -EIO;
		l->next = cg.leaves;
		cg.leaves = l;
	}
	if ((rc = set_limits(l, lim, err, errlen)))
		return rc;
	for (size_t i = 0; i < l->ndirs; i++)
		dirs[i] = l->dirs[i];
	*ndirs = l->ndirs;
	return 0;
}

void sv_cgroup_forget(const char *name)
{
	struct leaf **pp, *l;

	for (pp = &cg.leaves; (l = *pp); pp = &l->next) {
		if (strcmp(l->name, name) != 0)
			continue;
		for (size_t i = 0; i < l->ndirs; i++)
			if (rmdir(l->dirs[i]) == -1 && errno == EBUSY)
				return; /* a process is left: keep it */
		*pp = l->next;
		leaf_free(l);
		return;
	}
}

int64_t sv_cgroup_oom_kills(const char *name)
{
	struct leaf *l = find(name);
	char buf[4096];
	const char *p;

	/* the memory hierarchy's directory comes first in both modes:
	 * memory.events (v2) and memory.oom_control (v1) count OOM kills */
	if (!l || !l->ndirs ||
	    read_str(l->dirs[0],
	             cg.mode == MODE_V2 ? "memory.events"
	                                : "memory.oom_control",
	             buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "oom_kill ");
	return p ? strtoll(p + 9, NULL, 10) : -1;
}
