/*
 * th_conv_bytes.c: ByteArrayConverter
 * (org.apache.kafka.connect.converters.ByteArrayConverter).
 *
 * A pass-through: BYTES values go out as they are, without a copy, and
 * bytes come in as an optional BYTES value. Anything that is not BYTES is
 * refused with Kafka's messages.
 */
#include <errno.h>

#include "th_conv_impl.h"

static int bytes_init(struct th_conv *c, const struct conn_config *settings,
                      char *err, size_t errlen)
{
	(void)c;
	(void)settings;
	(void)err;
	(void)errlen;
	return 0;
}

static int bytes_from(struct th_conv *c, const char *topic, const char *hkey,
                      const struct conn_schema *s, const struct conn_value *v,
                      struct conn_arena *a, struct th_bytes *out, char *err,
                      size_t errlen)
{
	(void)c;
	(void)topic;
	(void)hkey;
	(void)a;
	if (s && s->type != CONN_BYTES)
		return th_conv_error(
		    err, errlen, -EINVAL,
		    "Invalid schema type for ByteArrayConverter: %s",
		    th_type_name(s->type));
	if (!v)
		return 0;
	if (v->type != CONN_BYTES)
		return th_conv_error(err, errlen, -EINVAL,
		                     "ByteArrayConverter is not compatible "
		                     "with objects of type %s",
		                     th_type_name(v->type));
	out->p = v->u.s.p;
	out->n = v->u.s.n;
	return 0;
}

static int bytes_to(struct th_conv *c, const char *topic, const char *hkey,
                    const struct th_bytes *in, struct conn_arena *a,
                    const struct conn_schema **s, const struct conn_value **v,
                    char *err, size_t errlen)
{
	(void)c;
	(void)topic;
	(void)hkey;
	*s = th_host.schema_std(CONN_BYTES, true);
	if (!in->p)
		return 0;
	*v = th_host.value_bytes(a, in->p, in->n);
	if (!*v)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	return 0;
}

const struct th_conv_ops th_conv_bytes_ops = {
    .class_name = "org.apache.kafka.connect.converters.ByteArrayConverter",
    .simple_name = "ByteArrayConverter",
    .init = bytes_init,
    .from_connect = bytes_from,
    .to_connect = bytes_to,
};
