/*
 * sv_cfgstore.h: the standalone config store, a JSON file, so connectors
 * (their configs and target states) survive a restart of sluiced:
 *
 *	{"version":1,"connectors":{"name":{"config":{...},
 *	                                   "target_state":"RUNNING"}}}
 *
 * Every change replaces the file atomically before it returns.
 * Event loop thread only.
 */
#ifndef SLUICE_SV_CFGSTORE_H
#define SLUICE_SV_CFGSTORE_H

#include <stddef.h>

#include <jansson.h>

struct sv_cfgstore;

/* Loads path (a missing file is an empty store). NULL with err set if the
 * file is unreadable or invalid. */
struct sv_cfgstore *sv_cfgstore_open(const char *path, char *err,
                                     size_t errlen);
void sv_cfgstore_free(struct sv_cfgstore *s); /* NULL is fine */

/* name -> {"config":{...},"target_state":"..."}; borrowed. */
json_t *sv_cfgstore_connectors(struct sv_cfgstore *s);

/* Stores a connector (config is copied) and saves. 0 or -errno. */
int sv_cfgstore_put(struct sv_cfgstore *s, const char *name, json_t *config,
                    const char *target_state, char *err, size_t errlen);
/* Changes only the target state and saves. -ENOENT if unknown. */
int sv_cfgstore_set_state(struct sv_cfgstore *s, const char *name,
                          const char *target_state, char *err, size_t errlen);
/* Removes a connector and saves. -ENOENT if unknown. */
int sv_cfgstore_remove(struct sv_cfgstore *s, const char *name, char *err,
                       size_t errlen);

#endif /* SLUICE_SV_CFGSTORE_H */
