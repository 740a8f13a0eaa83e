/*
 * th_conv_impl.h: what the converter implementations share with the
 * registry (th_conv.c). Private to taskhost/th_conv*.c.
 *
 * Each converter is a const struct th_conv_ops; th_conv_new() finds it by
 * class name, calls init() to read the settings into c->priv, and
 * th_conv_free() calls fini(). Formatting helpers that more than one
 * converter needs (Java's number formats, base64, Decimal digits) live in
 * th_conv.c.
 */
#ifndef SLUICE_TH_CONV_IMPL_H
#define SLUICE_TH_CONV_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "th_conv.h"

struct th_conv_ops {
	const char *class_name;  /* Kafka's full class name */
	const char *simple_name; /* the class name without its package */
	bool header_only;        /* a HeaderConverter, not a Converter */
	/* Reads settings (may be NULL: all defaults) into c->priv. Returns
	 * 0, or -EINVAL with the reason in err, or -ENOMEM. */
	int (*init)(struct th_conv *c, const struct conn_config *settings,
	            char *err, size_t errlen);
	void (*fini)(struct th_conv *c); /* may be NULL */
	int (*from_connect)(struct th_conv *c, const char *topic,
	                    const char *hkey, const struct conn_schema *s,
	                    const struct conn_value *v, struct conn_arena *a,
	                    struct th_bytes *out, char *err, size_t errlen);
	int (*to_connect)(struct th_conv *c, const char *topic,
	                  const char *hkey, const struct th_bytes *in,
	                  struct conn_arena *a, const struct conn_schema **s,
	                  const struct conn_value **v, char *err,
	                  size_t errlen);
};

struct th_conv {
	const struct th_conv_ops *ops;
	enum th_conv_kind kind;
	void *priv; /* the implementation's state, freed by fini() */
};

extern const struct th_conv_ops th_conv_string_ops;
extern const struct th_conv_ops th_conv_bytes_ops;
extern const struct th_conv_ops th_conv_json_ops;
extern const struct th_conv_ops th_conv_header_ops;

/* Writes the message to err (if any) and returns rc. */
int th_conv_error(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A setting's value as set (settings may be NULL), or NULL. */
const char *th_conv_setting(const struct conn_config *settings,
                            const char *key);

/* A BOOLEAN setting, as Kafka's ConfigDef parses it; def if unset.
 * -EINVAL with Kafka's message in err. */
int th_conv_setting_bool(const struct conn_config *settings, const char *key,
                         bool def, bool *out, char *err, size_t errlen);

/*
 * Java's Double.toString(d) (JDK 19 and later: the shortest decimal that
 * reads back as d, at least two digits considered): "1.0", "0.001",
 * "1.0E7", "4.9E-324", "NaN", "-Infinity". Appends to b.
 */
int th_conv_fmt_double(struct th_buf *b, double d);
/* Java's Float.toString((float)f): "0.1", "3.4028235E38". */
int th_conv_fmt_float(struct th_buf *b, double f);

/*
 * The shortest decimal digits of d as Java prints them (float precision if
 * is_float): d = 0.d1d2...dn * 10^*exp10 with digits "d1d2...dn", no
 * trailing zeros. d must be finite and not zero; the sign is ignored.
 * Returns n.
 */
size_t th_conv_digits(double d, bool is_float, char digits[32], int *exp10);

/* Appends standard base64 with padding (Jackson's default variant). */
int th_conv_base64_encode(struct th_buf *b, const void *p, size_t n);
/* Decodes standard base64 with padding into arena memory. -EINVAL if s is
 * not base64. */
int th_conv_base64_decode(const char *s, size_t n, struct conn_arena *a,
                          const void **out, size_t *outlen);

/* Whether s is named as logical type `name` (CONN_LOGICAL_*). As in Kafka,
 * the name decides; callers check the base type and fail if it is wrong. */
bool th_conv_is_logical(const struct conn_schema *s, const char *name);
/* The scale parameter of a Decimal schema; -EINVAL if missing or bad. */
int th_conv_decimal_scale(const struct conn_schema *s, int32_t *scale);

/*
 * Decimal values are two's complement big-endian bytes of the unscaled
 * value, as Kafka's Decimal. fmt_decimal appends BigDecimal.toString() of
 * (unscaled, scale): "1.56", "0.00", "1E-10", "1.56E+4". -EINVAL for empty
 * or oversized input.
 */
int th_conv_fmt_decimal(struct th_buf *b, const void *p, size_t n,
                        int32_t scale);
/* The minimal two's complement bytes (BigInteger.toByteArray) of the
 * integer [-]digits, in arena memory. -EINVAL if digits is empty, not all
 * digits, or too long. */
int th_conv_decimal_bytes(struct conn_arena *a, bool neg, const char *digits,
                          size_t ndigits, const void **out, size_t *outlen);
/* Drops redundant leading sign bytes, as BigInteger.toByteArray would. */
void th_conv_decimal_trim(const unsigned char **p, size_t *n);

/* Largest Decimal the helpers take: digits, and bytes. */
enum {
	TH_CONV_DECIMAL_MAX_DIGITS = 4096,
	TH_CONV_DECIMAL_MAX_BYTES = 1712, /* 4096 digits need 1701 bytes */
};

/* Splits ms since the epoch into UTC calendar fields and the millisecond
 * (0..999, also for times before the epoch). -EINVAL if out of range. */
int th_conv_gmtime(int64_t ms, struct tm *tm, int *millis);

#endif /* SLUICE_TH_CONV_IMPL_H */
