/*
 * th_plugin.h: loads one connector plugin and checks its registration.
 *
 * The loader dlopen()s the shared object with RTLD_NOW | RTLD_LOCAL, looks
 * up `conn_plugin`, and rejects it (dlclose, and a reason that names the
 * failed check) unless: the magic matches, the ABI version is known, `size`
 * covers every version-1 member, option_size covers a version-1
 * conn_option, `name` is set and every string it exports is valid UTF-8,
 * `type` is CONN_SOURCE or CONN_SINK, start and stop are set, and poll (a
 * source) or put (a sink) is set. Options must have a name, a known type
 * and importance; the table ends with a NULL name within 4096 entries.
 *
 * Runs in the taskhost only, after the sandbox is on.
 */
#ifndef SLUICE_TH_PLUGIN_H
#define SLUICE_TH_PLUGIN_H

#include <stddef.h>

#include <jansson.h>

#include "connector.h"

struct th_plugin {
	void *dl;
	const struct conn_plugin *p;
	size_t noptions; /* entries before the NULL name */
};

/* Loads and checks. On failure returns -ENOENT (no such file), -ENOEXEC
 * (not a sluice plugin or failed a check) or -ENOMEM, with the reason in
 * err, and leaves *pl empty. */
int th_plugin_load(const char *path, struct th_plugin *pl, char *err,
                   size_t errlen);
/* Closes the shared object; accepts an empty or failed *pl. */
void th_plugin_unload(struct th_plugin *pl);

/* The i-th option (the table's element size is the plugin's). */
const struct conn_option *th_plugin_option(const struct th_plugin *pl,
                                           size_t i);

/*
 * The plugin's description, as sluiced's plugin registry reads it:
 *
 * {"name": "FileStreamSource", "aliases": ["FileStreamSourceConnector", ...],
 *  "version": "1.0.0", "type": "source", "doc": "...",
 *  "options": [{"name": "file", "type": "STRING", "default": null,
 *               "required": false, "importance": "HIGH", "doc": "...",
 *               "group": null, "display_name": "file",
 *               "path_read": true, "path_write": false, "hostport": false,
 *               "nonempty": false}, ...]}
 *
 * Type and importance names are Kafka's (STRING, INT, LONG, DOUBLE,
 * BOOLEAN, LIST, PASSWORD, CLASS; HIGH, MEDIUM, LOW). NULL on ENOMEM.
 * The caller owns the result (json_decref).
 */
json_t *th_plugin_describe(const struct th_plugin *pl);

#endif /* SLUICE_TH_PLUGIN_H */
