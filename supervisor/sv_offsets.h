/*
 * sv_offsets.h: the standalone source offset store, a JSON file.
 *
 * Entries use Kafka Connect's offset key shape, ["<connector>",{<source
 * partition>}], with the source offset as JSON value; the file holds
 *
 *	{"version":1,"offsets":[{"key":["c",{"filename":"/in"}],
 *	                         "value":{"position":42}}, ...]}
 *
 * Offsets are staged in memory with sv_offsets_put and written with
 * sv_offsets_flush, which replaces the file atomically (sv_file.h). A
 * null offset removes the partition, as a tombstone does in Kafka.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_OFFSETS_H
#define SLUICE_SV_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct sv_offsets;

/* Loads path (a missing file is an empty store). NULL with err set if the
 * file cannot be read or is not a valid offset file: sluiced must not
 * start and overwrite offsets it could not read. */
struct sv_offsets *sv_offsets_open(const char *path, char *err, size_t errlen);
void sv_offsets_free(struct sv_offsets *o); /* NULL is fine */

/*
 * Stages the offset of one source partition of a connector. partition and
 * offset are JSON texts (offset "null" removes the entry). 0, -EINVAL if
 * either does not parse (or the partition is not an object), -ENOMEM.
 */
int sv_offsets_put(struct sv_offsets *o, const char *conn,
                   const char *partition, size_t plen, const char *offset,
                   size_t olen);

/* Removes every offset of a connector (staged). */
void sv_offsets_remove_connector(struct sv_offsets *o, const char *conn);

/*
 * The offsets of one connector: an array of [partition text, offset text]
 * string pairs, compact JSON. New reference; NULL on ENOMEM.
 */
json_t *sv_offsets_of(struct sv_offsets *o, const char *conn);

/*
 * Distributed mode: the store lives in the offset topic. A store opened
 * with path NULL is kept in memory; with a writer, sv_offsets_flush sends
 * each changed entry to writer(arg, key, value, wait) (value NULL: a
 * tombstone), then calls writer(arg, NULL, NULL, wait), which returns 0
 * once they are durable or a negative errno if they failed; without
 * wait it may return -EINPROGRESS: they will be (the writer tells its
 * owner when).
 */
typedef int (*sv_offsets_writer)(void *arg, const char *key, const char *value,
                                 bool wait);
void sv_offsets_set_writer(struct sv_offsets *o, sv_offsets_writer fn,
                           void *arg);
/*
 * A record read from the offset topic: key ["<connector>",{partition}]
 * and value (NULL: tombstone) as JSON texts. Entries with a change of
 * this store's own not yet written are left alone. -EINVAL if the record
 * is not Kafka Connect's shape.
 */
int sv_offsets_apply(struct sv_offsets *o, const char *key, size_t klen,
                     const char *value, size_t vlen);

/* Writes staged changes, if any. 0 or a negative errno (err says why). */
/* As sv_offsets_flush, but a writer may answer -EINPROGRESS (the changes
 * are on their way and no longer staged). */
int sv_offsets_flush_nowait(struct sv_offsets *o, char *err, size_t errlen);
int sv_offsets_flush(struct sv_offsets *o, char *err, size_t errlen);

bool sv_offsets_dirty(const struct sv_offsets *o);

#endif /* SLUICE_SV_OFFSETS_H */
