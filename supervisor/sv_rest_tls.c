/* sv_rest_tls.c: see sv_rest_tls.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

#include "sv_rest_tls.h"

#define PFX "listeners.https.ssl."

/* The first queued OpenSSL error, for messages. */
static const char *ssl_reason(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (!e)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* Never prompts on a terminal: the password comes from the config. */
static int password_cb(char *buf, int size, int rwflag, void *userdata)
{
	const char *pw = userdata;
	size_t n;

	(void)rwflag;
	if (!pw)
		return 0;
	n = strlen(pw);
	if (n > (size_t)size)
		return 0;
	memcpy(buf, pw, n);
	return (int)n;
}

static const char *get(const struct sv_worker *w, const char *key)
{
	const char *v = sv_worker_get(w, key);

	return v && *v ? v : NULL;
}

SSL_CTX *sv_rest_tls_new(const struct sv_worker *w, char *err, size_t errlen)
{
	const char *cert = get(w, PFX "certificate.location");
	const char *key = get(w, PFX "key.location");
	const char *store = get(w, PFX "keystore.location");
	const char *type = get(w, PFX "keystore.type");
	const char *auth = get(w, PFX "client.auth");
	const char *ca = get(w, PFX "ca.location");
	SSL_CTX *ctx;
	int mode = SSL_VERIFY_NONE;

	if (store && (!type || strcasecmp(type, "PEM") != 0)) {
		snprintf(err, errlen,
		         "%s: only PEM files are supported: set " PFX
		         "keystore.type=PEM, or " PFX
		         "certificate.location and " PFX "key.location",
		         w->path);
		return NULL;
	}
	cert = cert ? cert : store;
	key = key ? key : store;
	if (!cert || !key) {
		snprintf(err, errlen,
		         "%s: an https:// listener needs " PFX
		         "certificate.location and " PFX "key.location (PEM "
		         "files)",
		         w->path);
		return NULL;
	}
	if (!(ctx = SSL_CTX_new(TLS_server_method()))) {
		snprintf(err, errlen, "cannot create a TLS context: %s",
		         ssl_reason());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_default_passwd_cb(ctx, password_cb);
	SSL_CTX_set_default_passwd_cb_userdata(
	    ctx, (void *)get(w, PFX "key.password"));
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "%s: " PFX "certificate.location %s: %s",
		         w->path, cert, ssl_reason());
		goto out_free;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen,
		         "%s: " PFX
		         "key.location %s: %s (an encrypted key needs " PFX
		         "key.password)",
		         w->path, key, ssl_reason());
		goto out_free;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen,
		         "%s: the key %s does not match the certificate %s",
		         w->path, key, cert);
		goto out_free;
	}
	/* the key password is not needed any more */
	SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	if (!auth || strcasecmp(auth, "none") == 0)
		mode = SSL_VERIFY_NONE;
	else if (strcasecmp(auth, "requested") == 0)
		mode = SSL_VERIFY_PEER;
	else if (strcasecmp(auth, "required") == 0)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	else {
		snprintf(err, errlen,
		         "%s: invalid " PFX "client.auth \"%s\": use none, "
		         "requested or required",
		         w->path, auth);
		goto out_free;
	}
	if (mode != SSL_VERIFY_NONE) {
		if (!ca) {
			snprintf(err, errlen,
			         "%s: " PFX "client.auth=%s needs " PFX
			         "ca.location (PEM CA certificates)",
			         w->path, auth);
			goto out_free;
		}
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			snprintf(err, errlen, "%s: " PFX "ca.location %s: %s",
			         w->path, ca, ssl_reason());
			goto out_free;
		}
		SSL_CTX_set_verify(ctx, mode, NULL);
	}
	return ctx;
out_free:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *sv_rest_tls_client_new(const struct sv_worker *w, char *err,
                                size_t errlen)
{
	const char *store = get(w, PFX "keystore.location");
	const char *cert = get(w, PFX "certificate.location");
	const char *key = get(w, PFX "key.location");
	const char *ca = get(w, PFX "ca.location");
	SSL_CTX *ctx;

	cert = cert ? cert : store;
	key = key ? key : store;
	if (!(ctx = SSL_CTX_new(TLS_client_method()))) {
		snprintf(err, errlen, "cannot create a TLS context: %s",
		         ssl_reason());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		snprintf(err, errlen, "%s: " PFX "ca.location %s: %s", w->path,
		         ca, ssl_reason());
		goto out_free;
	}
	if (!ca && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "the system's CA certificates: %s",
		         ssl_reason());
		goto out_free;
	}
	if (cert && key) {
		SSL_CTX_set_default_passwd_cb(ctx, password_cb);
		SSL_CTX_set_default_passwd_cb_userdata(
		    ctx, (void *)get(w, PFX "key.password"));
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) !=
		        1) {
			snprintf(err, errlen,
			         "%s: the client certificate %s "
			         "or key %s: %s",
			         w->path, cert, key, ssl_reason());
			goto out_free;
		}
		SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	}
	return ctx;
out_free:
	SSL_CTX_free(ctx);
	return NULL;
}
