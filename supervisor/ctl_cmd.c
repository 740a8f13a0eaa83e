/* ctl_cmd.c: see ctl_cmd.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_cmd.h"
#include "ctl_http.h"
#include "ctl_table.h"
#include "ctl_text.h"
#include "sv_connfile.h"

/* Width of the labels of describe's "Label:  value" lines. */
#define LABEL_WIDTH 12

static int fail(struct ctl_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctl_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* One request; on an error answer, records the server's error_code. */
static int request(struct ctl_ctx *ctx, const char *method, const char *path,
                   const json_t *body, struct ctl_http_resp *resp)
{
	int rc = ctl_http_request(ctx->http, method, path, body, resp, ctx->err,
	                          sizeof(ctx->err));
	json_int_t code;

	if (rc == -EREMOTEIO) {
		code = json_integer_value(
		    json_object_get(resp->json, "error_code"));
		ctx->error_code =
		    code > 0 && code < 1000 ? (int)code : (int)resp->status;
	}
	return rc;
}

/* "/connectors/<name><suffix>", name percent-encoded; NULL on ENOMEM. */
static char *connector_path(struct ctl_ctx *ctx, const char *name,
                            const char *suffix)
{
	char *esc = ctl_http_escape(ctx->http, name);
	char *path = NULL;

	if (!esc)
		return NULL;
	if (asprintf(&path, "/connectors/%s%s", esc, suffix) < 0)
		path = NULL;
	free(esc);
	return path;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* -o json: the body as the server sent it (already checked to be JSON). */
static void print_raw(const struct ctl_http_resp *resp)
{
	if (resp->len == 0 || blank(resp->body))
		return;
	fwrite(resp->body, 1, resp->len, stdout);
	if (resp->body[resp->len - 1] != '\n')
		putchar('\n');
}

static int print_json(struct ctl_ctx *ctx, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (!s)
		return fail(ctx, -ENOMEM, "out of memory");
	puts(s);
	free(s);
	return 0;
}

/* A string member, or NULL when missing or not a string. */
static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* "Label:      value" with the value made safe and, for a state,
 * coloured. */
static void print_kv(struct ctl_ctx *ctx, const char *indent, const char *label,
                     const char *value, bool state)
{
	const char *on = state && ctx->color ? ctl_text_state_color(value) : "";

	printf("%s%-*s", indent, LABEL_WIDTH, label);
	fputs(on, stdout);
	ctl_text_print(stdout, value ? value : "-");
	if (*on)
		fputs(CTL_TEXT_COLOR_RESET, stdout);
	putchar('\n');
}

/* A Java stack trace, one indented line per line. */
static int print_trace(struct ctl_ctx *ctx, const char *indent,
                       const char *trace)
{
	char *clean = ctl_text_clean(trace, true), *line, *save = NULL;

	if (!clean)
		return fail(ctx, -ENOMEM, "out of memory");
	printf("%sTrace:\n", indent);
	for (line = strtok_r(clean, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		printf("%s  ", indent);
		/* Java indents its "\tat ..." lines with a tab */
		for (const char *p = line; *p; p++) {
			if (*p == '\t')
				fputs("    ", stdout);
			else
				putchar(*p);
		}
		putchar('\n');
	}
	free(clean);
	return 0;
}

static int add_row(struct ctl_ctx *ctx, struct ctl_table *t,
                   const char *const *cells)
{
	if (ctl_table_add(t, cells))
		return fail(ctx, -ENOMEM, "out of memory");
	return 0;
}

static struct ctl_table *new_table(struct ctl_ctx *ctx, int ncols, bool header)
{
	struct ctl_table *t = ctl_table_new(ncols, header);

	if (!t)
		fail(ctx, -ENOMEM, "out of memory");
	return t;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj, sorted; *n set. NULL with n 0 for an empty object or
 * on ENOMEM (told apart by obj's size). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys;
	const char *key;
	json_t *v;
	size_t i = 0;

	*n = 0;
	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return NULL;
	keys = calloc(json_object_size(obj), sizeof(*keys));
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)obj, key, v)
	{
		(void)v;
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

static int cmp_task(const void *a, const void *b)
{
	json_int_t x =
	    json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y =
	    json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return x < y ? -1 : x > y;
}

/* The task states of a status answer, sorted by id (borrowed
 * references); NULL with n 0 when there are none or on ENOMEM. */
static json_t **sorted_tasks(const json_t *status, size_t *n)
{
	json_t *tasks = json_object_get(status, "tasks");
	json_t **out;
	size_t i, k = 0;

	*n = 0;
	if (!json_is_array(tasks) || json_array_size(tasks) == 0)
		return NULL;
	out = calloc(json_array_size(tasks), sizeof(*out));
	if (!out)
		return NULL;
	for (i = 0; i < json_array_size(tasks); i++) {
		if (json_is_object(json_array_get(tasks, i)))
			out[k++] = json_array_get(tasks, i);
	}
	qsort(out, k, sizeof(*out), cmp_task);
	*n = k;
	return out;
}

/* "0: RUNNING, 1: FAILED"; a new string, NULL on ENOMEM. */
static char *task_summary(const json_t *status)
{
	size_t n, len = 0;
	json_t **tasks = sorted_tasks(status, &n);
	char *buf = NULL;
	FILE *m = open_memstream(&buf, &len);

	if (!m) {
		free(tasks);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *st = str(tasks[i], "state");

		fprintf(m, "%s%lld: %s", i ? ", " : "",
		        (long long)json_integer_value(
		            json_object_get(tasks[i], "id")),
		        st ? st : "?");
	}
	if (n == 0)
		fputs("-", m);
	free(tasks);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int ctl_cmd_get_connectors(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	struct ctl_table *t = NULL;
	const char **keys = NULL;
	size_t n = 0;
	int rc;

	(void)args;
	(void)nargs;
	rc = request(ctx, "GET", "/connectors?expand=status", NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
		goto out;
	}
	if (!(t = new_table(ctx, 4, true))) {
		rc = -ENOMEM;
		goto out;
	}
	ctl_table_state_column(t, 2);
	if ((rc = add_row(ctx, t,
	                  (const char *[]){"NAME", "TYPE", "STATE", "TASKS"})))
		goto out;
	if (json_is_array(resp.json)) {
		/* a server without ?expand: names only */
		for (size_t i = 0; i < json_array_size(resp.json); i++) {
			const char *name =
			    json_string_value(json_array_get(resp.json, i));

			if (name && (rc = add_row(ctx, t,
			                          (const char *[]){
			                              name, NULL, NULL, NULL})))
				goto out;
		}
	} else if (json_is_object(resp.json)) {
		keys = sorted_keys(resp.json, &n);
		if (!keys && json_object_size(resp.json)) {
			rc = fail(ctx, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *st = json_object_get(
			    json_object_get(resp.json, keys[i]), "status");
			char *tasks = task_summary(st);

			if (!tasks) {
				rc = fail(ctx, -ENOMEM, "out of memory");
				goto out;
			}
			rc = add_row(
			    ctx, t,
			    (const char *[]){
			        keys[i], str(st, "type"),
			        str(json_object_get(st, "connector"), "state"),
			        tasks});
			free(tasks);
			if (rc)
				goto out;
		}
	} else {
		rc = fail(ctx, -EPROTO,
		          "unexpected answer to GET /connectors from %s",
		          ctl_http_target(ctx->http));
		goto out;
	}
	ctl_table_print(t, stdout, NULL, ctx->color);
out:
	free(keys);
	ctl_table_free(t);
	ctl_http_resp_fini(&resp);
	return rc;
}

int ctl_cmd_get_plugins(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	struct ctl_table *t = NULL;
	const char *path = ctx->flags & CTL_FLAG_ALL
	                       ? "/connector-plugins?connectorsOnly=false"
	                       : "/connector-plugins";
	int rc;

	(void)args;
	(void)nargs;
	rc = request(ctx, "GET", path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
		goto out;
	}
	if (!json_is_array(resp.json)) {
		rc = fail(ctx, -EPROTO,
		          "unexpected answer to GET /connector-plugins from %s",
		          ctl_http_target(ctx->http));
		goto out;
	}
	if (!(t = new_table(ctx, 3, true))) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc =
	         add_row(ctx, t, (const char *[]){"TYPE", "CLASS", "VERSION"})))
		goto out;
	for (size_t i = 0; i < json_array_size(resp.json); i++) {
		json_t *p = json_array_get(resp.json, i);

		rc = add_row(ctx, t,
		             (const char *[]){str(p, "type"), str(p, "class"),
		                              str(p, "version")});
		if (rc)
			goto out;
	}
	ctl_table_print(t, stdout, NULL, ctx->color);
out:
	ctl_table_free(t);
	ctl_http_resp_fini(&resp);
	return rc;
}

/* The offsets table of a GET .../offsets answer: one row per partition,
 * both as compact JSON with sorted keys. */
static int print_offsets(struct ctl_ctx *ctx, const json_t *answer,
                         const char *indent)
{
	json_t *list = json_object_get(answer, "offsets");
	struct ctl_table *t = NULL;
	int rc = 0;

	if (!json_is_array(list))
		return fail(ctx, -EPROTO,
		            "unexpected answer to GET offsets from %s",
		            ctl_http_target(ctx->http));
	if (!(t = new_table(ctx, 2, true)))
		return -ENOMEM;
	if ((rc = add_row(ctx, t, (const char *[]){"PARTITION", "OFFSET"})))
		goto out;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		char *part =
		    json_dumps(json_object_get(o, "partition"),
		               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *off =
		    json_dumps(json_object_get(o, "offset"),
		               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		rc = add_row(ctx, t, (const char *[]){part, off});
		free(part);
		free(off);
		if (rc)
			goto out;
	}
	ctl_table_print(t, stdout, indent, false);
out:
	ctl_table_free(t);
	return rc;
}

int ctl_cmd_get_offsets(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	char *path = connector_path(ctx, args[0], "/offsets");
	int rc;

	(void)nargs;
	if (!path)
		return fail(ctx, -ENOMEM, "out of memory");
	rc = request(ctx, "GET", path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json)
		print_raw(&resp);
	else
		rc = print_offsets(ctx, resp.json, "");
out:
	free(path);
	ctl_http_resp_fini(&resp);
	return rc;
}

/* describe's table form of the three answers. status and offsets may be
 * NULL (their request failed). */
static int describe_print(struct ctl_ctx *ctx, const json_t *info,
                          const json_t *status, const char *status_err,
                          const json_t *offsets, const char *offsets_err)
{
	json_t *conn = json_object_get(status, "connector");
	json_t *config = json_object_get(info, "config");
	struct ctl_table *t = NULL;
	const char **keys = NULL;
	json_t **tasks = NULL;
	size_t n, ntasks = 0;
	int rc = 0;

	print_kv(ctx, "", "Name:", str(info, "name"), false);
	print_kv(ctx, "", "Type:",
	         str(info, "type") ? str(info, "type") : str(status, "type"),
	         false);
	if (status) {
		print_kv(ctx, "", "State:", str(conn, "state"), true);
		print_kv(ctx, "", "Worker ID:", str(conn, "worker_id"), false);
		if (str(conn, "trace") &&
		    (rc = print_trace(ctx, "", str(conn, "trace"))))
			goto out;
	} else {
		print_kv(ctx, "", "State:", status_err, false);
	}

	puts("Config:");
	keys = sorted_keys(config, &n);
	if (!keys && json_object_size(config)) {
		rc = fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	if (!(t = new_table(ctx, 2, false))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *label;

		if (asprintf(&label, "%s:", keys[i]) < 0) {
			rc = fail(ctx, -ENOMEM, "out of memory");
			goto out;
		}
		rc = add_row(ctx, t,
		             (const char *[]){label, str(config, keys[i])});
		free(label);
		if (rc)
			goto out;
	}
	ctl_table_print(t, stdout, "  ", false);

	if (!status) {
		print_kv(ctx, "", "Tasks:", status_err, false);
	} else {
		tasks = sorted_tasks(status, &ntasks);
		if (ntasks == 0)
			print_kv(ctx, "", "Tasks:", "none", false);
		else
			puts("Tasks:");
	}
	for (size_t i = 0; i < ntasks; i++) {
		printf("  %lld:\n", (long long)json_integer_value(
		                        json_object_get(tasks[i], "id")));
		print_kv(ctx, "    ", "State:", str(tasks[i], "state"), true);
		print_kv(ctx, "    ", "Worker ID:", str(tasks[i], "worker_id"),
		         false);
		if (str(tasks[i], "trace") &&
		    (rc = print_trace(ctx, "    ", str(tasks[i], "trace"))))
			goto out;
	}

	if (!offsets) {
		print_kv(ctx, "", "Offsets:", offsets_err, false);
	} else if (json_array_size(json_object_get(offsets, "offsets")) == 0) {
		print_kv(ctx, "", "Offsets:", "none", false);
	} else {
		puts("Offsets:");
		rc = print_offsets(ctx, offsets, "  ");
	}
out:
	free(tasks);
	free(keys);
	ctl_table_free(t);
	return rc;
}

int ctl_cmd_describe_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp info = {0}, status = {0}, offsets = {0};
	char *p_info = connector_path(ctx, args[0], "");
	char *p_status = connector_path(ctx, args[0], "/status");
	char *p_offsets = connector_path(ctx, args[0], "/offsets");
	char status_err[1024] = "", offsets_err[1024] = "";
	int status_code = 0, offsets_code = 0;
	int rc, rc_status, rc_offsets, prc;
	json_t *all = NULL;

	(void)nargs;
	if (!p_info || !p_status || !p_offsets) {
		rc = fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	rc = request(ctx, "GET", p_info, NULL, &info);
	if (rc)
		goto out;
	if (!json_is_object(info.json)) {
		rc = fail(ctx, -EPROTO,
		          "unexpected answer to GET /connectors/NAME from %s",
		          ctl_http_target(ctx->http));
		goto out;
	}
	/* the other two may fail on their own (a server without offset
	 * support): show what there is, then report the first failure */
	rc_status = request(ctx, "GET", p_status, NULL, &status);
	if (rc_status) {
		snprintf(status_err, sizeof(status_err), "unavailable: %.1000s",
		         ctx->err);
		status_code = ctx->error_code;
	}
	rc_offsets = request(ctx, "GET", p_offsets, NULL, &offsets);
	if (rc_offsets) {
		snprintf(offsets_err, sizeof(offsets_err),
		         "unavailable: %.1000s", ctx->err);
		offsets_code = ctx->error_code;
	}
	if (rc_status) {
		rc = fail(ctx, rc_status, "%s",
		          status_err + strlen("unavailable: "));
		ctx->error_code = status_code;
	} else if (rc_offsets) {
		rc = fail(ctx, rc_offsets, "%s",
		          offsets_err + strlen("unavailable: "));
		ctx->error_code = offsets_code;
	}
	if (ctx->json) {
		/* each member is the server's answer to that request (its
		 * error object when it failed) */
		all = json_object();
		if (!all || json_object_set(all, "info", info.json) ||
		    json_object_set(all, "status",
		                    status.json ? status.json : json_null()) ||
		    json_object_set(all, "offsets",
		                    offsets.json ? offsets.json
		                                 : json_null())) {
			rc = fail(ctx, -ENOMEM, "out of memory");
			goto out;
		}
		prc = print_json(ctx, all);
	} else {
		prc = describe_print(
		    ctx, info.json, rc_status ? NULL : status.json, status_err,
		    rc_offsets ? NULL : offsets.json, offsets_err);
	}
	rc = rc ? rc : prc;
out:
	json_decref(all);
	ctl_http_resp_fini(&info);
	ctl_http_resp_fini(&status);
	ctl_http_resp_fini(&offsets);
	free(p_info);
	free(p_status);
	free(p_offsets);
	return rc;
}

/* Reads all of stdin (at most max bytes) into a new NUL-terminated
 * buffer. */
static int read_stdin(size_t max, char **data, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

static struct sv_connfile *load_file(struct ctl_ctx *ctx, const char *file)
{
	struct sv_connfile *cf;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (strcmp(file, "-") != 0) {
		cf = sv_connfile_load(file, ctx->err, sizeof(ctx->err));
		return cf;
	}
	rc = read_stdin(SV_CONNFILE_MAX_SIZE, &data, &len);
	if (rc) {
		fail(ctx, rc, "<stdin>: %s",
		     rc == -EFBIG ? "too large" : strerror(-rc));
		return NULL;
	}
	cf =
	    sv_connfile_parse(data, len, "<stdin>", ctx->err, sizeof(ctx->err));
	free(data);
	return cf;
}

int ctl_cmd_apply(struct ctl_ctx *ctx, char **args, int nargs)
{
	static const char *const state_names[] = {
	    [SV_CONNFILE_RUNNING] = "RUNNING",
	    [SV_CONNFILE_PAUSED] = "PAUSED",
	    [SV_CONNFILE_STOPPED] = "STOPPED",
	};
	struct ctl_http_resp resp = {0};
	struct sv_connfile *cf;
	json_t *create = NULL;
	char *path = NULL;
	int rc;

	(void)args;
	(void)nargs;
	if (!ctx->file)
		return fail(ctx, -EINVAL, "apply needs -f FILE (- for stdin)");
	cf = load_file(ctx, ctx->file);
	if (!cf)
		return -EINVAL;
	if (cf->initial_state != SV_CONNFILE_RUNNING) {
		/* only POST /connectors takes an initial state; when the
		 * connector exists (409), its config is updated as usual
		 * and its state left alone, as for Kafka Connect */
		create = json_pack("{s:s, s:O, s:s}", "name", cf->name,
		                   "config", cf->config, "initial_state",
		                   state_names[cf->initial_state]);
		if (!create) {
			rc = fail(ctx, -ENOMEM, "out of memory");
			goto out;
		}
		rc = request(ctx, "POST", "/connectors", create, &resp);
		if (rc != -EREMOTEIO || resp.status != 409)
			goto done;
		ctl_http_resp_fini(&resp);
		ctx->error_code = 0;
	}
	if (!(path = connector_path(ctx, cf->name, "/config"))) {
		rc = fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	rc = request(ctx, "PUT", path, cf->config, &resp);
done:
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
	} else {
		fputs(resp.status == 201 ? "Created connector "
		                         : "Updated connector ",
		      stdout);
		ctl_text_print(stdout, cf->name);
		putchar('\n');
	}
out:
	free(path);
	json_decref(create);
	ctl_http_resp_fini(&resp);
	sv_connfile_free(cf);
	return rc;
}

/* A request about one connector whose answer is printed as a sentence:
 * "<done> connector NAME", or with -o json the raw answer. */
static int simple(struct ctl_ctx *ctx, const char *method, const char *name,
                  const char *suffix, const char *done)
{
	struct ctl_http_resp resp = {0};
	char *path = connector_path(ctx, name, suffix);
	int rc;

	if (!path)
		return fail(ctx, -ENOMEM, "out of memory");
	rc = request(ctx, method, path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
	} else {
		printf("%s connector ", done);
		ctl_text_print(stdout, name);
		putchar('\n');
	}
out:
	free(path);
	ctl_http_resp_fini(&resp);
	return rc;
}

int ctl_cmd_delete_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	(void)nargs;
	return simple(ctx, "DELETE", args[0], "", "Deleted");
}

int ctl_cmd_pause_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	(void)nargs;
	return simple(ctx, "PUT", args[0], "/pause", "Paused");
}

int ctl_cmd_resume_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	(void)nargs;
	return simple(ctx, "PUT", args[0], "/resume", "Resumed");
}

int ctl_cmd_stop_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	(void)nargs;
	return simple(ctx, "PUT", args[0], "/stop", "Stopped");
}

/* The table of a restart's 202 answer: the connector and each task, with
 * the state the restart left them in. */
static int print_restart(struct ctl_ctx *ctx, const json_t *status)
{
	json_t *conn = json_object_get(status, "connector");
	struct ctl_table *t = new_table(ctx, 3, true);
	json_t **tasks = NULL;
	size_t n;
	int rc;

	if (!t)
		return -ENOMEM;
	ctl_table_state_column(t, 1);
	if ((rc = add_row(ctx, t,
	                  (const char *[]){"INSTANCE", "STATE", "WORKER"})) ||
	    (rc = add_row(ctx, t,
	                  (const char *[]){"connector", str(conn, "state"),
	                                   str(conn, "worker_id")})))
		goto out;
	tasks = sorted_tasks(status, &n);
	for (size_t i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "task %lld",
		         (long long)json_integer_value(
		             json_object_get(tasks[i], "id")));
		rc = add_row(ctx, t,
		             (const char *[]){id, str(tasks[i], "state"),
		                              str(tasks[i], "worker_id")});
		if (rc)
			goto out;
	}
	ctl_table_print(t, stdout, NULL, ctx->color);
out:
	free(tasks);
	ctl_table_free(t);
	return rc;
}

int ctl_cmd_restart_connector(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	const char *query = "/restart";
	char *path;
	int rc;

	(void)nargs;
	if ((ctx->flags & CTL_FLAG_INCLUDE_TASKS) &&
	    (ctx->flags & CTL_FLAG_ONLY_FAILED))
		query = "/restart?includeTasks=true&onlyFailed=true";
	else if (ctx->flags & CTL_FLAG_INCLUDE_TASKS)
		query = "/restart?includeTasks=true";
	else if (ctx->flags & CTL_FLAG_ONLY_FAILED)
		query = "/restart?onlyFailed=true";
	if (!(path = connector_path(ctx, args[0], query)))
		return fail(ctx, -ENOMEM, "out of memory");
	rc = request(ctx, "POST", path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
		goto out;
	}
	if (json_is_object(resp.json)) {
		fputs("Restarting connector ", stdout);
		ctl_text_print(stdout, args[0]);
		putchar('\n');
		rc = print_restart(ctx, resp.json);
	} else {
		fputs("Restarted connector ", stdout);
		ctl_text_print(stdout, args[0]);
		putchar('\n');
	}
out:
	free(path);
	ctl_http_resp_fini(&resp);
	return rc;
}

/* A task id: a decimal integer in [0, INT_MAX]. */
static int parse_task_id(const char *s, int *id)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -EINVAL;
	*id = (int)v;
	return 0;
}

int ctl_cmd_restart_task(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	char *name = NULL, *slash, *path = NULL, suffix[64];
	const char *id_s;
	int id, rc;

	/* "NAME ID", or kcctl's "NAME/ID" */
	if (nargs == 2) {
		name = strdup(args[0]);
		id_s = args[1];
	} else {
		name = strdup(args[0]);
		slash = name ? strrchr(name, '/') : NULL;
		if (name && !slash) {
			rc = fail(ctx, -EINVAL,
			          "restart task: give NAME ID (or NAME/ID)");
			goto out;
		}
		if (slash)
			*slash = '\0';
		id_s = slash ? slash + 1 : "";
	}
	if (!name) {
		rc = fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	if (parse_task_id(id_s, &id)) {
		rc = fail(ctx, -EINVAL,
		          "restart task: the task id must be a number from 0, "
		          "not \"%.64s\"",
		          id_s);
		goto out;
	}
	snprintf(suffix, sizeof(suffix), "/tasks/%d/restart", id);
	if (!(path = connector_path(ctx, name, suffix))) {
		rc = fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	rc = request(ctx, "POST", path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
	} else {
		printf("Restarted task %d of connector ", id);
		ctl_text_print(stdout, name);
		putchar('\n');
	}
out:
	free(name);
	free(path);
	ctl_http_resp_fini(&resp);
	return rc;
}

int ctl_cmd_reset_offsets(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	char *path = connector_path(ctx, args[0], "/offsets");
	const char *msg;
	int rc;

	(void)nargs;
	if (!path)
		return fail(ctx, -ENOMEM, "out of memory");
	rc = request(ctx, "DELETE", path, NULL, &resp);
	if (rc)
		goto out;
	if (ctx->json) {
		print_raw(&resp);
		goto out;
	}
	/* Kafka Connect answers {"message": "The offsets for this connector
	 * have been reset successfully"} */
	msg = str(resp.json, "message");
	if (msg) {
		ctl_text_print(stdout, msg);
		putchar('\n');
	} else {
		fputs("Reset the offsets of connector ", stdout);
		ctl_text_print(stdout, args[0]);
		putchar('\n');
	}
out:
	free(path);
	ctl_http_resp_fini(&resp);
	return rc;
}

int ctl_cmd_version(struct ctl_ctx *ctx, char **args, int nargs)
{
	struct ctl_http_resp resp = {0};
	struct ctl_table *t = NULL;
	bool server = !(ctx->flags & CTL_FLAG_CLIENT);
	json_t *all = NULL;
	int rc = 0, prc;

	(void)args;
	(void)nargs;
	if (server) {
		rc = request(ctx, "GET", "/", NULL, &resp);
		if (rc == 0 && !json_is_object(resp.json))
			rc = fail(ctx, -EPROTO,
			          "unexpected answer to GET / from %s",
			          ctl_http_target(ctx->http));
	}
	/* the client's version is printed even when the server is down:
	 * it is often why one asks */
	if (ctx->json) {
		all =
		    json_pack("{s:{s:s}}", "client", "version", SLUICE_VERSION);
		if (!all || (server && rc == 0 &&
		             json_object_set(all, "server", resp.json))) {
			rc = fail(ctx, -ENOMEM, "out of memory");
			goto out;
		}
		prc = print_json(ctx, all);
		rc = rc ? rc : prc;
		goto out;
	}
	if (!(t = new_table(ctx, 2, false))) {
		rc = -ENOMEM;
		goto out;
	}
	prc = add_row(ctx, t,
	              (const char *[]){"Client version:", SLUICE_VERSION});
	server = server && rc == 0;
	if (!prc && server)
		prc = add_row(ctx, t,
		              (const char *[]){"Server version:",
		                               str(resp.json, "version")});
	if (!prc && server)
		prc = add_row(ctx, t,
		              (const char *[]){"Server commit:",
		                               str(resp.json, "commit")});
	if (!prc && server)
		prc = add_row(
		    ctx, t,
		    (const char *[]){"Kafka cluster ID:",
		                     str(resp.json, "kafka_cluster_id")});
	if (!prc)
		ctl_table_print(t, stdout, NULL, false);
	rc = rc ? rc : prc;
out:
	ctl_table_free(t);
	json_decref(all);
	ctl_http_resp_fini(&resp);
	return rc;
}
