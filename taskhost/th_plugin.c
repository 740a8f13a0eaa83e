/*
 * th_plugin.c: loads one connector plugin and checks its registration.
 *
 * A plugin is untrusted input: every check names the plugin path and what
 * failed, so that a bad plugin in plugin.path is easy to find. The struct
 * is read only as far as the plugin says it reaches (`size`, and the size
 * of the ELF symbol behind it), never copied blindly.
 *
 * Beyond the checks th_plugin.h lists, an option table is also rejected
 * for an empty or duplicate option name, unknown flag bits, a REQUIRED
 * option with a default, and a default that does not parse as the
 * option's type (INT, LONG, DOUBLE, BOOLEAN): each is a plugin bug that
 * would otherwise surface only when a user configures the connector.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "th_plugin.h"

#define TH_PLUGIN_MAX_OPTIONS 4096
#define TH_PLUGIN_MAX_ALIASES 256

/* Every version-1 member, up to and including `stop`. */
#define TH_PLUGIN_V1_SIZE                     \
	(offsetof(struct conn_plugin, stop) + \
	 sizeof(((struct conn_plugin *)0)->stop))
/* A version-1 conn_option, up to and including `display_name`. */
#define TH_OPTION_V1_SIZE                             \
	(offsetof(struct conn_option, display_name) + \
	 sizeof(((struct conn_option *)0)->display_name))

#define TH_OPT_KNOWN_FLAGS                                              \
	(CONN_OPT_REQUIRED | CONN_OPT_PATH_READ | CONN_OPT_PATH_WRITE | \
	 CONN_OPT_HOSTPORT | CONN_OPT_NONEMPTY)

static const char *const type_names[] = {
    [CONN_OPT_STRING] = "STRING",     [CONN_OPT_INT] = "INT",
    [CONN_OPT_LONG] = "LONG",         [CONN_OPT_DOUBLE] = "DOUBLE",
    [CONN_OPT_BOOLEAN] = "BOOLEAN",   [CONN_OPT_LIST] = "LIST",
    [CONN_OPT_PASSWORD] = "PASSWORD", [CONN_OPT_CLASS] = "CLASS",
};

static const char *const importance_names[] = {
    [CONN_IMPORTANCE_HIGH] = "HIGH",
    [CONN_IMPORTANCE_MEDIUM] = "MEDIUM",
    [CONN_IMPORTANCE_LOW] = "LOW",
};

static void seterr(char *err, size_t errlen, const char *path, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void seterr(char *err, size_t errlen, const char *path, const char *fmt,
                   ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned char c = *s;
		uint32_t cp;
		int n;

		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		s += n + 1;
	}
	return true;
}

/* A NULL string is fine; a set one must be valid UTF-8. */
static bool str_ok(const char *s)
{
	return !s || utf8_valid(s);
}

static bool parse_long(const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	return true;
}

static bool parse_double(const char *s)
{
	char *end;

	errno = 0;
	strtod(s, &end);
	return errno == 0 && end != s && *end == '\0';
}

/* Whether a default value parses as its type, as ConfigDef.parseType. */
static bool default_ok(uint32_t type, const char *s)
{
	switch (type) {
	case CONN_OPT_INT:
		return parse_long(s, INT32_MIN, INT32_MAX);
	case CONN_OPT_LONG:
		return parse_long(s, INT64_MIN, INT64_MAX);
	case CONN_OPT_DOUBLE:
		return parse_double(s);
	case CONN_OPT_BOOLEAN:
		return strcasecmp(s, "true") == 0 ||
		       strcasecmp(s, "false") == 0;
	default:
		return true;
	}
}

const struct conn_option *th_plugin_option(const struct th_plugin *pl, size_t i)
{
	const char *base = (const char *)pl->p->options;

	return (const struct conn_option *)(base + i * pl->p->option_size);
}

static int check_options(const char *path, struct th_plugin *pl, char *err,
                         size_t errlen)
{
	const struct conn_plugin *p = pl->p;
	size_t i;

	if (!p->options) {
		pl->noptions = 0;
		return 0;
	}
	for (i = 0; i < TH_PLUGIN_MAX_OPTIONS; i++) {
		const struct conn_option *o = th_plugin_option(pl, i);

		if (!o->name)
			break;
		if (o->name[0] == '\0') {
			seterr(err, errlen, path,
			       "option %zu has an empty name", i);
			return -ENOEXEC;
		}
		if (!utf8_valid(o->name)) {
			seterr(err, errlen, path,
			       "option %zu name is not valid UTF-8", i);
			return -ENOEXEC;
		}
		if (!str_ok(o->default_value) || !str_ok(o->doc) ||
		    !str_ok(o->group) || !str_ok(o->display_name)) {
			seterr(err, errlen, path,
			       "option %s: a string is not valid UTF-8",
			       o->name);
			return -ENOEXEC;
		}
		if (o->type < CONN_OPT_STRING || o->type > CONN_OPT_CLASS) {
			seterr(err, errlen, path, "option %s: unknown type %u",
			       o->name, o->type);
			return -ENOEXEC;
		}
		if (o->importance < CONN_IMPORTANCE_HIGH ||
		    o->importance > CONN_IMPORTANCE_LOW) {
			seterr(err, errlen, path,
			       "option %s: unknown importance %u", o->name,
			       o->importance);
			return -ENOEXEC;
		}
		if (o->flags & ~TH_OPT_KNOWN_FLAGS) {
			seterr(err, errlen, path,
			       "option %s: unknown flags 0x%x", o->name,
			       o->flags & ~TH_OPT_KNOWN_FLAGS);
			return -ENOEXEC;
		}
		if ((o->flags & CONN_OPT_REQUIRED) && o->default_value) {
			seterr(err, errlen, path,
			       "option %s: required but has a default",
			       o->name);
			return -ENOEXEC;
		}
		if (o->default_value &&
		    !default_ok(o->type, o->default_value)) {
			seterr(err, errlen, path,
			       "option %s: default \"%s\" is not a valid %s",
			       o->name, o->default_value, type_names[o->type]);
			return -ENOEXEC;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(th_plugin_option(pl, j)->name, o->name) ==
			    0) {
				seterr(err, errlen, path,
				       "option %s is defined twice", o->name);
				return -ENOEXEC;
			}
		}
	}
	if (i == TH_PLUGIN_MAX_OPTIONS) {
		seterr(err, errlen, path,
		       "option table has no end within %d entries",
		       TH_PLUGIN_MAX_OPTIONS);
		return -ENOEXEC;
	}
	pl->noptions = i;
	return 0;
}

static int check_strings(const char *path, const struct conn_plugin *p,
                         char *err, size_t errlen)
{
	size_t i;

	if (!p->name || p->name[0] == '\0') {
		seterr(err, errlen, path, "registration has no name");
		return -ENOEXEC;
	}
	if (!utf8_valid(p->name)) {
		seterr(err, errlen, path, "name is not valid UTF-8");
		return -ENOEXEC;
	}
	if (!str_ok(p->version)) {
		seterr(err, errlen, path, "version is not valid UTF-8");
		return -ENOEXEC;
	}
	if (!str_ok(p->doc)) {
		seterr(err, errlen, path, "doc is not valid UTF-8");
		return -ENOEXEC;
	}
	if (!p->aliases)
		return 0;
	for (i = 0; i < TH_PLUGIN_MAX_ALIASES && p->aliases[i]; i++) {
		if (p->aliases[i][0] == '\0') {
			seterr(err, errlen, path, "alias %zu is empty", i);
			return -ENOEXEC;
		}
		if (!utf8_valid(p->aliases[i])) {
			seterr(err, errlen, path,
			       "alias %zu is not valid UTF-8", i);
			return -ENOEXEC;
		}
	}
	if (i == TH_PLUGIN_MAX_ALIASES) {
		seterr(err, errlen, path,
		       "alias list has no end within %d entries",
		       TH_PLUGIN_MAX_ALIASES);
		return -ENOEXEC;
	}
	return 0;
}

static int check_callbacks(const char *path, const struct conn_plugin *p,
                           char *err, size_t errlen)
{
	if (p->type != CONN_SOURCE && p->type != CONN_SINK) {
		seterr(err, errlen, path,
		       "type %u is neither source (%d) nor sink (%d)", p->type,
		       CONN_SOURCE, CONN_SINK);
		return -ENOEXEC;
	}
	if (!p->start) {
		seterr(err, errlen, path, "plugin has no start callback");
		return -ENOEXEC;
	}
	if (!p->stop) {
		seterr(err, errlen, path, "plugin has no stop callback");
		return -ENOEXEC;
	}
	if (p->type == CONN_SOURCE && !p->poll) {
		seterr(err, errlen, path, "source plugin has no poll callback");
		return -ENOEXEC;
	}
	if (p->type == CONN_SINK && !p->put) {
		seterr(err, errlen, path, "sink plugin has no put callback");
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Checks the header of the registration against the ELF symbol it lives
 * in, so that nothing past the end of the object is read: a plugin whose
 * `conn_plugin` is a function or a 4-byte int is rejected, not read.
 */
static int check_header(const char *path, void *dl, const void *sym, char *err,
                        size_t errlen)
{
	const struct conn_plugin *p = sym;
	const ElfW(Sym) *esym = NULL;
	struct link_map *own = NULL, *found = NULL;
	Dl_info info;
	uint32_t version;

	if (dlinfo(dl, RTLD_DI_LINKMAP, &own) != 0 ||
	    !dladdr1(sym, &info, (void **)&found, RTLD_DL_LINKMAP) ||
	    found != own) {
		/* dlsym also searches the plugin's dependencies. */
		seterr(err, errlen, path,
		       "not a sluice plugin: no symbol conn_plugin");
		return -ENOEXEC;
	}
	/* ELF64_ST_TYPE is the same macro as ELF32_ST_TYPE. */
	if (!dladdr1(sym, &info, (void **)&esym, RTLD_DL_SYMENT) || !esym ||
	    ELF64_ST_TYPE(esym->st_info) != STT_OBJECT) {
		seterr(err, errlen, path,
		       "not a sluice plugin: conn_plugin is not a data object");
		return -ENOEXEC;
	}
	if (esym->st_size < 2 * sizeof(uint32_t)) {
		seterr(err, errlen, path,
		       "not a sluice plugin: conn_plugin is only %zu bytes",
		       (size_t)esym->st_size);
		return -ENOEXEC;
	}
	if ((p->abi & CONN_ABI_MAGIC_MASK) != CONN_ABI_MAGIC) {
		seterr(err, errlen, path,
		       "not a sluice plugin: bad magic 0x%08x", p->abi);
		return -ENOEXEC;
	}
	version = p->abi & ~CONN_ABI_MAGIC_MASK;
	if (version == 0) {
		seterr(err, errlen, path, "ABI version 0 is not valid");
		return -ENOEXEC;
	}
	if (version > (CONN_ABI_VERSION & ~CONN_ABI_MAGIC_MASK)) {
		seterr(err, errlen, path,
		       "ABI version %u is newer than this sluice (%u)", version,
		       CONN_ABI_VERSION & ~CONN_ABI_MAGIC_MASK);
		return -ENOEXEC;
	}
	if (p->size < TH_PLUGIN_V1_SIZE) {
		seterr(err, errlen, path,
		       "registration size %u is smaller than version 1 (%zu)",
		       p->size, TH_PLUGIN_V1_SIZE);
		return -ENOEXEC;
	}
	if (p->size > esym->st_size) {
		seterr(err, errlen, path,
		       "registration size %u is larger than conn_plugin (%zu "
		       "bytes)",
		       p->size, (size_t)esym->st_size);
		return -ENOEXEC;
	}
	if (p->option_size < TH_OPTION_V1_SIZE) {
		seterr(err, errlen, path,
		       "option size %u is smaller than version 1 (%zu)",
		       p->option_size, TH_OPTION_V1_SIZE);
		return -ENOEXEC;
	}
	return 0;
}

int th_plugin_load(const char *path, struct th_plugin *pl, char *err,
                   size_t errlen)
{
	char *relpath = NULL;
	const char *dlpath = path;
	struct stat st;
	void *sym;
	int r;

	memset(pl, 0, sizeof(*pl));
	if (stat(path, &st) == -1) {
		r = errno == ENOENT || errno == ENOTDIR ? -ENOENT : -ENOEXEC;
		seterr(err, errlen, path, "cannot load: %s", strerror(errno));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, path, "cannot load: not a regular file");
		return -ENOEXEC;
	}
	/* Without a slash, dlopen would search the library path instead. */
	if (!strchr(path, '/')) {
		if (asprintf(&relpath, "./%s", path) == -1) {
			relpath = NULL;
			seterr(err, errlen, path, "out of memory");
			return -ENOMEM;
		}
		dlpath = relpath;
	}
	pl->dl = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL);
	if (!pl->dl) {
		const char *why = dlerror();
		size_t n = strlen(dlpath);

		/* dlerror() usually starts with the path too. */
		if (why && strncmp(why, dlpath, n) == 0 &&
		    strncmp(why + n, ": ", 2) == 0)
			why += n + 2;
		seterr(err, errlen, path, "cannot load: %s",
		       why ? why : "dlopen failed");
		r = -ENOEXEC;
		goto out_free_path;
	}
	dlerror();
	sym = dlsym(pl->dl, "conn_plugin");
	if (!sym) {
		seterr(err, errlen, path,
		       "not a sluice plugin: no symbol conn_plugin");
		r = -ENOEXEC;
		goto out_close;
	}
	r = check_header(path, pl->dl, sym, err, errlen);
	if (r != 0)
		goto out_close;
	pl->p = sym;
	r = check_strings(path, pl->p, err, errlen);
	if (r != 0)
		goto out_close;
	r = check_callbacks(path, pl->p, err, errlen);
	if (r != 0)
		goto out_close;
	r = check_options(path, pl, err, errlen);
	if (r != 0)
		goto out_close;
	free(relpath);
	return 0;

out_close:
	dlclose(pl->dl);
	memset(pl, 0, sizeof(*pl));
out_free_path:
	free(relpath);
	return r;
}

void th_plugin_unload(struct th_plugin *pl)
{
	if (pl->dl)
		dlclose(pl->dl);
	memset(pl, 0, sizeof(*pl));
}

static json_t *describe_option(const struct conn_option *o)
{
	const char *def = o->default_value;

	if (def && o->type == CONN_OPT_PASSWORD)
		def = "[hidden]";
	return json_pack(
	    "{s:s, s:s, s:s?, s:b, s:s, s:s?, s:s?, s:s, s:b, "
	    "s:b, s:b, s:b}",
	    "name", o->name, "type", type_names[o->type], "default", def,
	    "required", (o->flags & CONN_OPT_REQUIRED) != 0, "importance",
	    importance_names[o->importance], "doc", o->doc, "group", o->group,
	    "display_name", o->display_name ? o->display_name : o->name,
	    "path_read", (o->flags & CONN_OPT_PATH_READ) != 0, "path_write",
	    (o->flags & CONN_OPT_PATH_WRITE) != 0, "hostport",
	    (o->flags & CONN_OPT_HOSTPORT) != 0, "nonempty",
	    (o->flags & CONN_OPT_NONEMPTY) != 0);
}

json_t *th_plugin_describe(const struct th_plugin *pl)
{
	const struct conn_plugin *p = pl->p;
	json_t *desc, *aliases, *options;
	int r;

	desc = json_pack(
	    "{s:s, s:s?, s:s, s:s?}", "name", p->name, "version", p->version,
	    "type", p->type == CONN_SOURCE ? "source" : "sink", "doc", p->doc);
	aliases = json_array();
	options = json_array();
	/* json_object_set_new() takes the reference even when it fails. */
	r = json_object_set_new(desc, "aliases", aliases);
	r |= json_object_set_new(desc, "options", options);
	if (r != 0)
		goto out_free;
	for (size_t i = 0; p->aliases && p->aliases[i]; i++) {
		if (json_array_append_new(aliases, json_string(p->aliases[i])))
			goto out_free;
	}
	for (size_t i = 0; i < pl->noptions; i++) {
		if (json_array_append_new(
		        options, describe_option(th_plugin_option(pl, i))))
			goto out_free;
	}
	return desc;

out_free:
	json_decref(desc);
	return NULL;
}
