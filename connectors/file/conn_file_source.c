/*
 * conn_file_source.c: FileStreamSource, Kafka Connect's
 * FileStreamSourceConnector and FileStreamSourceTask.
 *
 * Reads a text file line by line and sends each line as a STRING value to
 * one topic. Lines end with "\n", "\r\n" or "\r", as in Kafka; a last line
 * without its end waits for more data (and so does a "\r" that ends the
 * data read so far, which may yet be followed by "\n").
 *
 * Source partition {"filename": <file>}, source offset {"position": <byte
 * offset after the last line sent>} (INT64, Kafka's Long). A restarted task
 * seeks to the stored position. Kafka counts the position in UTF-16 chars
 * of the decoded text; sluice counts bytes, which is the same for ASCII
 * files and, unlike chars, can be seeked to.
 *
 * Differences from Kafka, all deliberate:
 * - `file` is required: Kafka reads standard input when it is unset, but a
 *   sandboxed task has no standard input.
 * - Invalid UTF-8 is replaced with U+FFFD per maximal invalid subpart, as
 *   Java's UTF-8 decoder does, so every line is a valid STRING.
 * - Truncation: if the file becomes shorter than the position read so far
 *   (or than the stored offset at start), a warning is logged and the file
 *   is read again from the start.
 * - Rotation: when the reader is at the end of the file and the path now
 *   names a different file (rename and recreate, as logrotate does), a
 *   warning is logged and the new file is read from the start; an
 *   unfinished last line of the old file is dropped. If the path vanishes,
 *   the task keeps reading the old file until a new one appears.
 * - A file that does not exist yet is waited for (Kafka does the same);
 *   any other open error fails the task.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"

#define FS_READ_CHUNK 65536
/* how often a source at the end of its file looks for more: lines
 * appended show up within this (an idle look is one read()) */
#define FS_SLEEP_STEP_MS 20

struct fs_task {
	const struct conn_host *host;
	struct conn_context *cx;
	struct conn_arena *arena; /* partition and reused key values */
	const struct conn_value *partition;
	const struct conn_value *position_key;
	const struct conn_schema *value_schema;
	char *file;
	char *topic;
	int64_t batch_size;
	int fd; /* -1 while the file does not exist */
	dev_t dev;
	ino_t ino;
	bool warned_missing;
	/* buf[head..len) is unsent data that starts at file offset
	 * `position`; buf[head..scan) holds no line end. */
	char *buf;
	size_t head, scan, len, cap;
	int64_t position;
	char *fix; /* a line with invalid UTF-8 replaced */
	size_t fixcap;
};

static const char *const fs_aliases[] = {
    "FileStreamSourceConnector",
    "org.apache.kafka.connect.file.FileStreamSourceConnector",
    NULL,
};

static const struct conn_option fs_options[] = {
    {
        .name = "file",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY | CONN_OPT_PATH_READ,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Source filename. Required: a sluice task has no standard "
               "input.",
    },
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The topic to publish data to",
    },
    {
        .name = "batch.size",
        .type = CONN_OPT_INT,
        .default_value = "2000",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "The maximum number of records the Source task can read "
               "from file one time",
    },
    {.name = NULL},
};

static void fs_log(struct fs_task *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fs_log(struct fs_task *t, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->host->log(t->cx, level, msg);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {
	    .tv_sec = ms / 1000,
	    .tv_nsec = (ms % 1000) * 1000000,
	};

	nanosleep(&ts, NULL);
}

/*
 * The length of the UTF-8 sequence at p (at most n bytes) if it is valid,
 * else minus the length of its maximal invalid subpart (at least 1), which
 * Java's decoder replaces with one U+FFFD.
 */
static int utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return -1;
	}
	for (i = 1; i <= need; i++) {
		if ((size_t)i >= n || p[i] < lo || p[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* A STRING value of the line, with invalid UTF-8 replaced. */
static struct conn_value *line_value(struct fs_task *t, struct conn_arena *a,
                                     const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0, o = 0;
	struct conn_value *v;

	/* the host checks the text: only a line it refuses is mended */
	errno = 0;
	v = t->host->value_string(a, line, n);
	if (v || errno != EINVAL)
		return v;

	/* Each invalid byte becomes at most 3 bytes (U+FFFD). */
	if (t->fixcap < n * 3) {
		char *fix = realloc(t->fix, n * 3);

		if (!fix)
			return NULL;
		t->fix = fix;
		t->fixcap = n * 3;
	}
	for (i = 0; i < n;) {
		int k = utf8_seq(p + i, n - i);

		if (k > 0) {
			memcpy(t->fix + o, p + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(t->fix + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += (size_t)-k;
		}
	}
	return t->host->value_string(a, t->fix, o);
}

static void drop_buffer(struct fs_task *t)
{
	t->head = 0;
	t->scan = 0;
	t->len = 0;
}

/*
 * Opens the file. 0 when open (or still missing: fd stays -1), a negative
 * errno for any other failure.
 */
static int open_file(struct fs_task *t, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	fd = open(t->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		e = errno;
		if (e == ENOENT) {
			if (!t->warned_missing)
				fs_log(t, CONN_LOG_WARN,
				       "Couldn't find file %s, waiting for it "
				       "to be created",
				       t->file);
			t->warned_missing = true;
			return 0;
		}
		snprintf(err, errlen, "cannot open %s: %s", t->file,
		         strerror(e));
		return -e;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		snprintf(err, errlen, "cannot stat %s: %s", t->file,
		         strerror(e));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		snprintf(err, errlen, "cannot read %s: %s", t->file,
		         strerror(e));
		goto out_close;
	}
	if (S_ISREG(st.st_mode) && st.st_size < t->position) {
		fs_log(t, CONN_LOG_WARN,
		       "%s is %lld bytes, shorter than the stored position "
		       "%lld: reading it from the start",
		       t->file, (long long)st.st_size, (long long)t->position);
		t->position = 0;
	}
	if (t->position > 0 &&
	    lseek(fd, (off_t)t->position, SEEK_SET) == (off_t)-1) {
		e = errno;
		snprintf(err, errlen, "cannot seek %s to %lld: %s", t->file,
		         (long long)t->position, strerror(e));
		goto out_close;
	}
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->warned_missing = false;
	drop_buffer(t);
	fs_log(t, CONN_LOG_INFO, "Opened %s for reading at position %lld",
	       t->file, (long long)t->position);
	return 0;

out_close:
	close(fd);
	return -e;
}

/* Reads more of the file: bytes read, 0 at end of file, or -errno. */
static ssize_t fill(struct fs_task *t, char *err, size_t errlen)
{
	ssize_t n;

	if (t->head > 0) {
		memmove(t->buf, t->buf + t->head, t->len - t->head);
		t->len -= t->head;
		t->scan -= t->head;
		t->head = 0;
	}
	if (t->cap - t->len < FS_READ_CHUNK) {
		size_t cap = t->cap ? t->cap * 2 : 2 * FS_READ_CHUNK;
		char *buf;

		while (cap - t->len < FS_READ_CHUNK)
			cap *= 2;
		buf = realloc(t->buf, cap);
		if (!buf) {
			snprintf(err, errlen, "out of memory reading %s",
			         t->file);
			return -ENOMEM;
		}
		t->buf = buf;
		t->cap = cap;
	}
	do {
		n = read(t->fd, t->buf + t->len, t->cap - t->len);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		int e = errno;

		snprintf(err, errlen, "cannot read %s: %s", t->file,
		         strerror(e));
		return -e;
	}
	t->len += (size_t)n;
	return n;
}

/*
 * At the end of the file: notices truncation and rotation. Returns 1 if
 * there is a file to read again from the start, 0 if nothing changed, or a
 * negative errno (the new file cannot be opened).
 */
static int check_file(struct fs_task *t, char *err, size_t errlen)
{
	struct stat st;
	int64_t readpos = t->position + (int64_t)(t->len - t->head);
	int r;

	if (fstat(t->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < readpos) {
		fs_log(t, CONN_LOG_WARN,
		       "%s was truncated to %lld bytes below position %lld: "
		       "reading it again from the start",
		       t->file, (long long)st.st_size, (long long)readpos);
		if (lseek(t->fd, 0, SEEK_SET) == (off_t)-1) {
			int e = errno;

			snprintf(err, errlen, "cannot seek %s: %s", t->file,
			         strerror(e));
			return -e;
		}
		t->position = 0;
		drop_buffer(t);
		return 1;
	}
	if (stat(t->file, &st) == -1 ||
	    (st.st_dev == t->dev && st.st_ino == t->ino))
		return 0;
	fs_log(t, CONN_LOG_WARN,
	       "%s was replaced by a new file: reading the new file from the "
	       "start%s",
	       t->file,
	       t->len > t->head ? " (an unfinished last line is dropped)" : "");
	close(t->fd);
	t->fd = -1;
	t->position = 0;
	r = open_file(t, err, errlen);
	if (r != 0)
		return r;
	return t->fd != -1;
}

/*
 * Finds the next complete line in the buffer, as Kafka's extractLine: on
 * success sets *line, *n and the bytes to consume, and returns true.
 */
static bool next_line(struct fs_task *t, const char **line, size_t *n,
                      size_t *used)
{
	const char *s, *end, *nl, *cr;
	size_t i;

	if (t->scan >= t->len)
		return false;
	s = t->buf + t->scan;
	end = t->buf + t->len;
	nl = memchr(s, '\n', (size_t)(end - s));
	/* a "\r" before the "\n" (or before the end) ends the line there */
	cr = memchr(s, '\r', (size_t)((nl ? nl : end) - s));
	if (cr) {
		i = (size_t)(cr - t->buf);
		/* Wait to see whether "\n" follows. */
		if (i + 1 >= t->len) {
			t->scan = i;
			return false;
		}
		*used = i + (t->buf[i + 1] == '\n' ? 2 : 1) - t->head;
	} else if (nl) {
		i = (size_t)(nl - t->buf);
		*used = i + 1 - t->head;
	} else {
		t->scan = t->len;
		return false;
	}
	*line = t->buf + t->head;
	*n = i - t->head;
	return true;
}

static int add_record(struct fs_task *t, struct conn_batch *out,
                      const char *line, size_t n, char *err, size_t errlen)
{
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->batch_arena(out);
	struct conn_record *r;
	struct conn_value *value, *offset, *pos;

	r = h->record_add(out);
	if (r && h->record_set_topic(r, t->topic) == -EINVAL) {
		snprintf(err, errlen, "invalid topic name \"%s\"", t->topic);
		return -EINVAL;
	}
	value = line_value(t, a, line, n);
	offset = h->value_map(a);
	pos = h->value_int(a, CONN_INT64, t->position);
	if (!r || !value || !offset || !pos ||
	    h->map_put(offset, t->position_key, pos) != 0 ||
	    h->record_set_value(r, t->value_schema, value) != 0 ||
	    h->record_set_source(r, t->partition, offset) != 0) {
		snprintf(err, errlen, "out of memory building a record");
		return -ENOMEM;
	}
	return 0;
}

/* Adds complete lines to `out` until the batch is full. */
static int take_lines(struct fs_task *t, struct conn_batch *out, int64_t *count,
                      char *err, size_t errlen)
{
	const char *line;
	size_t n, used;
	int r;

	while (*count < t->batch_size && next_line(t, &line, &n, &used)) {
		t->head += used;
		t->scan = t->head;
		t->position += (int64_t)used;
		r = add_record(t, out, line, n, err, errlen);
		if (r != 0)
			return r;
		(*count)++;
	}
	return 0;
}

static int fs_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct fs_task *t = ctx;
	int64_t deadline = now_ms() + (max_wait_ms > 0 ? max_wait_ms : 0);
	int64_t count = 0, left;
	ssize_t n;
	int r;

	for (;;) {
		if (t->fd == -1) {
			r = open_file(t, err, errlen);
			if (r != 0)
				return r;
		}
		while (t->fd != -1) {
			r = take_lines(t, out, &count, err, errlen);
			if (r != 0)
				return r;
			if (count >= t->batch_size)
				return 0;
			n = fill(t, err, errlen);
			if (n < 0)
				return (int)n;
			if (n > 0)
				continue;
			if (count > 0)
				return 0;
			r = check_file(t, err, errlen);
			if (r < 0)
				return r;
			if (r > 0)
				continue;
			break;
		}
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		sleep_ms(left < FS_SLEEP_STEP_MS ? left : FS_SLEEP_STEP_MS);
	}
}

static void fs_stop(void *ctx)
{
	struct fs_task *t = ctx;

	if (!t)
		return;
	if (t->fd != -1)
		close(t->fd);
	if (t->host)
		t->host->arena_free(t->arena);
	free(t->buf);
	free(t->fix);
	free(t->file);
	free(t->topic);
	free(t);
}

/* Checks a config the way both validate() and start() need. */
static const char *config_problem(const struct conn_host *host,
                                  const struct conn_config *cfg,
                                  const char **key)
{
	const char *file = host->config_get(cfg, "file");
	const char *topic = host->config_get(cfg, "topic");
	int64_t batch;

	if (!file || !*file) {
		*key = "file";
		return "file is required: a sluice task has no standard input";
	}
	if (!topic || !*topic) {
		*key = "topic";
		return "topic is required";
	}
	if (strchr(topic, ',')) {
		*key = "topic";
		return "FileStreamSourceConnector should only have a single "
		       "topic when used as a source.";
	}
	if (host->config_get_long(cfg, "batch.size", &batch) != 0 ||
	    batch < 1 || batch > INT32_MAX) {
		*key = "batch.size";
		return "batch.size must be an integer of at least 1";
	}
	return NULL;
}

static int fs_validate(const struct conn_host *host,
                       const struct conn_config *cfg, struct conn_validation *v)
{
	const char *key = NULL;
	const char *msg = config_problem(host, cfg, &key);

	if (msg)
		host->validation_error(v, key, msg);
	return 0;
}

/* Reads the stored position of this file, if any. */
static int stored_position(struct fs_task *t, char *err, size_t errlen)
{
	const struct conn_host *h = t->host;
	const struct conn_value *off = h->offset_get(t->cx, t->partition);
	size_t i, n;

	t->position = 0;
	if (!off)
		return 0;
	if (h->value_type(off) != CONN_MAP) {
		snprintf(err, errlen, "stored offset of %s is not a map",
		         t->file);
		return -EINVAL;
	}
	n = h->value_count(off);
	for (i = 0; i < n; i++) {
		const struct conn_value *k = h->value_key_at(off, i);
		const struct conn_value *v = h->value_at(off, i);
		const char *s;
		size_t len;
		uint32_t type;

		if (h->value_type(k) != CONN_STRING)
			continue;
		s = h->value_string_get(k, &len);
		if (len != strlen("position") || memcmp(s, "position", len))
			continue;
		type = h->value_type(v);
		if (type == CONN_NULL)
			return 0;
		if (type < CONN_INT8 || type > CONN_INT64 ||
		    h->value_int_get(v) < 0) {
			snprintf(err, errlen,
			         "Offset position is the incorrect type");
			return -EINVAL;
		}
		t->position = h->value_int_get(v);
		return 0;
	}
	return 0;
}

/*
 * The host does not call stop() after a failed start(), so a failed start
 * frees what it built itself.
 */
static int fs_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	struct fs_task *t;
	struct conn_value *part, *fname, *fkey;
	const char *key, *msg;
	int r;

	*ctxp = NULL;
	msg = config_problem(host, cfg, &key);
	if (msg) {
		snprintf(err, errlen, "%s", msg);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = host;
	t->cx = cx;
	t->fd = -1;
	t->file = strdup(host->config_get(cfg, "file"));
	t->topic = strdup(host->config_get(cfg, "topic"));
	host->config_get_long(cfg, "batch.size", &t->batch_size);
	t->arena = host->arena_new();
	r = -ENOMEM;
	if (!t->file || !t->topic || !t->arena)
		goto out_nomem;
	part = host->value_map(t->arena);
	fkey = host->value_string(t->arena, "filename", strlen("filename"));
	fname = host->value_string(t->arena, t->file, strlen(t->file));
	t->position_key =
	    host->value_string(t->arena, "position", strlen("position"));
	t->value_schema = host->schema_std(CONN_STRING, false);
	if (!fname) {
		snprintf(err, errlen, "file name %s is not valid UTF-8",
		         t->file);
		r = -EINVAL;
		goto out_stop;
	}
	if (!part || !fkey || !t->position_key || !t->value_schema ||
	    host->map_put(part, fkey, fname) != 0)
		goto out_nomem;
	t->partition = part;

	r = stored_position(t, err, errlen);
	if (r != 0)
		goto out_stop;
	r = open_file(t, err, errlen);
	if (r != 0)
		goto out_stop;
	*ctxp = t;
	return 0;

out_nomem:
	snprintf(err, errlen, "out of memory");
out_stop:
	fs_stop(t);
	return r;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "FileStreamSource",
    .aliases = fs_aliases,
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = fs_options,
    .doc = "Reads lines from a file and sends each as a STRING record to "
           "one topic, resuming at the stored byte position.",
    .validate = fs_validate,
    .start = fs_start,
    .poll = fs_poll,
    .stop = fs_stop,
};
