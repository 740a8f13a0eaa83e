/*
 * th_conv.h: converters, as Kafka Connect's Converter and HeaderConverter.
 *
 * A converter turns (schema, value) into the bytes that go to Kafka, and
 * bytes from Kafka back into (schema, value). The built-in converters are
 * known by Kafka Connect's class names:
 *
 *	org.apache.kafka.connect.storage.StringConverter
 *	org.apache.kafka.connect.converters.ByteArrayConverter
 *	org.apache.kafka.connect.json.JsonConverter
 *	org.apache.kafka.connect.storage.SimpleHeaderConverter (headers)
 *
 * and by their simple names (StringConverter, ...).
 *
 * Threading: a converter is used by one thread at a time.
 */
#ifndef SLUICE_TH_CONV_H
#define SLUICE_TH_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "th_data.h"

struct th_conv;

enum th_conv_kind {
	TH_CONV_KEY = 1,
	TH_CONV_VALUE = 2,
	TH_CONV_HEADER = 3,
};

/* Converted bytes; p == NULL means null. */
struct th_bytes {
	const void *p;
	size_t n;
};

/*
 * Creates a converter of class `class_name`. `settings` holds its own
 * settings without prefix ("schemas.enable" -> "true"), as Kafka Connect
 * passes them after stripping "value.converter.". NULL with errno set and
 * a reason in err: ENOENT for an unknown class, EINVAL for a bad setting.
 */
struct th_conv *th_conv_new(const char *class_name,
                            const struct conn_config *settings,
                            enum th_conv_kind kind, char *err, size_t errlen);
void th_conv_free(struct th_conv *c); /* NULL is fine */

/* The canonical class name (for logs). */
const char *th_conv_class(const struct th_conv *c);

/*
 * fromConnectData: serializes value v of schema s (s may be NULL:
 * schemaless; v NULL: null). `hkey` is the header key for TH_CONV_HEADER,
 * else NULL. The result points either into v (no copy) or into memory
 * allocated from arena `a`; it lives as long as both. Returns 0, or -EINVAL
 * with the reason in err when the value cannot be converted (it does not
 * fit its schema, or the converter does not take that type), or -ENOMEM.
 */
int th_conv_from_connect(struct th_conv *c, const char *topic, const char *hkey,
                         const struct conn_schema *s,
                         const struct conn_value *v, struct conn_arena *a,
                         struct th_bytes *out, char *err, size_t errlen);

/*
 * toConnectData: deserializes bytes (in->p NULL: null) into a schema and a
 * value allocated from arena `a` (*s may be set to NULL: schemaless;
 * *v NULL: null). Returns 0, -EINVAL with the reason in err for bytes that
 * do not parse, or -ENOMEM.
 */
int th_conv_to_connect(struct th_conv *c, const char *topic, const char *hkey,
                       const struct th_bytes *in, struct conn_arena *a,
                       const struct conn_schema **s,
                       const struct conn_value **v, char *err, size_t errlen);

/*
 * Schemaless JSON, as JsonConverter with schemas.enable=false writes and
 * reads it; used for source partitions and offsets (Kafka Connect's offset
 * key ["<connector>",{...}] and value). Encode appends to out; decode
 * allocates from a. 0, -EINVAL (err says why) or -ENOMEM.
 */
int th_json_encode(const struct conn_value *v, struct th_buf *out, char *err,
                   size_t errlen);
int th_json_decode(const char *p, size_t n, struct conn_arena *a,
                   const struct conn_value **v, char *err, size_t errlen);

#endif /* SLUICE_TH_CONV_H */
