/* sv_plugins.c: see sv_plugins.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sv_log.h"
#include "sv_plugins.h"
#include "sv_spawn.h"

#define DESCRIBE_TIMEOUT_MS 10000
#define DESCRIBE_MAX        (1u << 20)
#define SCAN_MAX            512

struct job {
	char *path;
	pid_t pid;
	int out; /* read end of the child's stdout */
	int errfd;
	char *buf;
	size_t len;
	char ebuf[1024];
	size_t elen;
	bool out_done, err_done;
};

static bool has_so_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static int add_path(char ***paths, size_t *n, const char *p)
{
	char **v;

	if (*n >= SCAN_MAX)
		return 0;
	if (!(v = realloc(*paths, (*n + 1) * sizeof(*v))))
		return -ENOMEM;
	*paths = v;
	if (!(v[*n] = strdup(p)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.so files in dir, and in its subdirectories when depth > 0. */
static int scan_dir(const char *dir, int depth, char ***paths, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		sv_warn("SV-PLUGIN-PATH",
		        "cannot read plugin.path entry %s: %s", dir,
		        strerror(errno));
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >=
		        (int)sizeof(p) ||
		    stat(p, &st) == -1)
			continue;
		if (S_ISREG(st.st_mode) && has_so_suffix(de->d_name))
			rc = add_path(paths, n, p);
		else if (S_ISDIR(st.st_mode) && depth > 0)
			rc = scan_dir(p, depth - 1, paths, n);
	}
	closedir(d);
	return rc;
}

static int start_job(struct job *j, const struct sv_worker *w)
{
	char *argv[] = {"sluice-taskhost", "--describe",       j->path,
	                "--sandbox",       (char *)w->sandbox, NULL};
	int out[2], errp[2];
	char err[256];

	if (pipe2(out, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(errp, O_CLOEXEC) == -1) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	j->pid = sv_spawn(w->taskhost, argv, out[1], errp[1], -1, NULL, err,
	                  sizeof(err));
	close(out[1]);
	close(errp[1]);
	j->out = out[0];
	j->errfd = errp[0];
	if (j->pid == -1) {
		sv_error("SV-PLUGIN-DESCRIBE", "%s: cannot start %s: %s",
		         j->path, w->taskhost, err);
		return -EIO;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads every job's output until all are done or the time is up. */
static void collect(struct job *jobs, size_t n)
{
	int64_t deadline = now_ms() + DESCRIBE_TIMEOUT_MS;
	struct pollfd *pfd = calloc(2 * n, sizeof(*pfd));

	if (!pfd)
		return;
	for (;;) {
		size_t np = 0;
		int64_t left = deadline - now_ms();

		for (size_t i = 0; i < n; i++) {
			if (jobs[i].pid > 0 && !jobs[i].out_done)
				pfd[np++] =
				    (struct pollfd){jobs[i].out, POLLIN, 0};
			if (jobs[i].pid > 0 && !jobs[i].err_done)
				pfd[np++] =
				    (struct pollfd){jobs[i].errfd, POLLIN, 0};
		}
		if (np == 0 || left <= 0)
			break;
		if (poll(pfd, np, (int)left) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			char tmp[4096];
			ssize_t r;

			if (j->pid <= 0)
				continue;
			if (!j->out_done) {
				r = read(j->out, tmp, sizeof(tmp));
				if (r == 0 || (r == -1 && errno != EAGAIN &&
				               errno != EINTR)) {
					j->out_done = true;
				} else if (r > 0) {
					char *nb;

					if (j->len + (size_t)r > DESCRIBE_MAX) {
						j->out_done = true;
						continue;
					}
					nb = realloc(j->buf,
					             j->len + (size_t)r + 1);
					if (!nb) {
						j->out_done = true;
						continue;
					}
					j->buf = nb;
					memcpy(j->buf + j->len, tmp, (size_t)r);
					j->len += (size_t)r;
					j->buf[j->len] = '\0';
				}
			}
			if (!j->err_done) {
				r = read(j->errfd, tmp, sizeof(tmp));
				if (r == 0 || (r == -1 && errno != EAGAIN &&
				               errno != EINTR)) {
					j->err_done = true;
				} else if (r > 0) {
					size_t room =
					    sizeof(j->ebuf) - 1 - j->elen;
					size_t c =
					    (size_t)r < room ? (size_t)r : room;

					memcpy(j->ebuf + j->elen, tmp, c);
					j->elen += c;
					j->ebuf[j->elen] = '\0';
				}
			}
		}
	}
	free(pfd);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].pid > 0 && (!jobs[i].out_done || !jobs[i].err_done))
			kill(jobs[i].pid, SIGKILL);
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static const struct sv_plugin *find_exact(const struct sv_plugins *r,
                                          const char *cls)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct sv_plugin *p = &r->v[i];
		json_t *aliases = json_object_get(p->desc, "aliases"), *a;
		size_t k;

		if (strcmp(p->name, cls) == 0)
			return p;
		json_array_foreach(aliases, k, a)
		{
			if (json_is_string(a) &&
			    strcmp(json_string_value(a), cls) == 0)
				return p;
		}
	}
	return NULL;
}

/* Checks the description's shape and adds the plugin. */
static int add_plugin(struct sv_plugins *r, struct job *j)
{
	json_error_t e;
	json_t *d = json_loadb(j->buf ? j->buf : "", j->len,
	                       JSON_REJECT_DUPLICATES, &e);
	const char *name = json_string_value(json_object_get(d, "name"));
	const char *type = json_string_value(json_object_get(d, "type"));
	struct sv_plugin *v, *p;

	if (!d || !name || !type ||
	    !json_is_array(json_object_get(d, "options"))) {
		sv_error("SV-PLUGIN-BAD",
		         "%s: the plugin's description does not parse: %s",
		         j->path, d ? "missing fields" : e.text);
		json_decref(d);
		return 0;
	}
	if (find_exact(r, name)) {
		sv_warn("SV-PLUGIN-DUPLICATE",
		        "%s: a plugin named %s is already loaded; ignoring "
		        "this one",
		        j->path, name);
		json_decref(d);
		return 0;
	}
	if (!(v = realloc(r->v, (r->n + 1) * sizeof(*v)))) {
		json_decref(d);
		return -ENOMEM;
	}
	r->v = v;
	p = &r->v[r->n];
	memset(p, 0, sizeof(*p));
	p->desc = d;
	p->name = name;
	p->version = json_string_value(json_object_get(d, "version"));
	p->source = strcmp(type, "source") == 0;
	p->path = j->path;
	j->path = NULL;
	r->n++;
	sv_info("SV-PLUGIN-LOADED", "%s %s (%s) from %s", p->name,
	        p->version ? p->version : "", type, p->path);
	return 0;
}

int sv_plugins_scan(struct sv_plugins *r, const struct sv_worker *w)
{
	char **paths = NULL;
	size_t npaths = 0;
	struct job *jobs = NULL;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < w->nplugin_path && rc == 0; i++) {
		struct stat st;
		const char *p = w->plugin_path[i];

		if (stat(p, &st) == -1)
			sv_warn("SV-PLUGIN-PATH", "plugin.path entry %s: %s", p,
			        strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = scan_dir(p, 1, &paths, &npaths);
		else
			rc = add_path(&paths, &npaths, p);
	}
	if (rc)
		goto out;
	qsort(paths, npaths, sizeof(*paths), cmp_str);
	if (npaths && !(jobs = calloc(npaths, sizeof(*jobs)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		jobs[i].path = paths[i];
		paths[i] = NULL;
		jobs[i].out = jobs[i].errfd = -1;
		if (start_job(&jobs[i], w) == 0) {
			set_nonblock(jobs[i].out);
			set_nonblock(jobs[i].errfd);
		} else {
			jobs[i].pid = -1;
		}
	}
	collect(jobs, npaths);
	for (size_t i = 0; i < npaths; i++) {
		struct job *j = &jobs[i];
		int status = 0;
		char how[128];

		if (j->pid <= 0)
			continue;
		waitpid(j->pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			if ((rc = add_plugin(r, j)))
				break;
			continue;
		}
		sv_spawn_describe_status(status, how, sizeof(how));
		while (j->elen && (j->ebuf[j->elen - 1] == '\n'))
			j->ebuf[--j->elen] = '\0';
		sv_error("SV-PLUGIN-REJECTED",
		         "%s: not loaded (describe %s): %s", j->path, how,
		         j->elen ? j->ebuf : "no message");
	}
out:
	for (size_t i = 0; jobs && i < npaths; i++) {
		if (jobs[i].out != -1)
			close(jobs[i].out);
		if (jobs[i].errfd != -1)
			close(jobs[i].errfd);
		free(jobs[i].path);
		free(jobs[i].buf);
	}
	free(jobs);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

void sv_plugins_fini(struct sv_plugins *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		json_decref(r->v[i].desc);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const struct sv_plugin *sv_plugins_find(const struct sv_plugins *r,
                                        const char *cls)
{
	const struct sv_plugin *p;
	const char *dot;

	if (!cls || !*cls)
		return NULL;
	if ((p = find_exact(r, cls)))
		return p;
	/* com.example.FooConnector also finds a plugin called Foo or
	 * FooConnector, as Kafka Connect's aliases do */
	dot = strrchr(cls, '.');
	if (dot && dot[1] && (p = find_exact(r, dot + 1)))
		return p;
	return NULL;
}

json_t *sv_plugin_option(const struct sv_plugin *p, const char *key)
{
	json_t *opts = json_object_get(p->desc, "options"), *o;
	size_t i;

	json_array_foreach(opts, i, o)
	{
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n && strcmp(n, key) == 0)
			return o;
	}
	return NULL;
}
