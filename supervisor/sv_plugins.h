/*
 * sv_plugins.h: the plugin registry.
 *
 * At startup sluiced looks for shared objects (*.so) in every plugin.path
 * entry (a file, a directory, and that directory's subdirectories) and
 * asks a sandboxed `sluice-taskhost --describe` to load each one: plugin
 * code never runs inside sluiced. A file that is not a valid sluice plugin
 * is logged and skipped. Plugins are found by name or alias (Kafka
 * Connect's class names are aliases of the built-in ones).
 *
 * Event loop thread only; sv_plugins_scan blocks until every describe
 * process has answered (each has 10 s).
 */
#ifndef SLUICE_SV_PLUGINS_H
#define SLUICE_SV_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sv_worker.h"

struct sv_plugin {
	char *path;
	const char *name; /* in desc */
	const char *version;
	bool source;  /* else sink */
	json_t *desc; /* as th_plugin_describe() writes it */
};

struct sv_plugins {
	struct sv_plugin *v;
	size_t n;
};

/* Scans plugin.path. Returns 0 (even if no plugin was found) or -ENOMEM. */
int sv_plugins_scan(struct sv_plugins *r, const struct sv_worker *w);
void sv_plugins_fini(struct sv_plugins *r);

/* By name, alias, or the last dotted component of a class name. */
const struct sv_plugin *sv_plugins_find(const struct sv_plugins *r,
                                        const char *cls);

/* The option definition called key (an object of the describe JSON), or
 * NULL. Borrowed. */
json_t *sv_plugin_option(const struct sv_plugin *p, const char *key);

#endif /* SLUICE_SV_PLUGINS_H */
