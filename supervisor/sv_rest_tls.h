/*
 * sv_rest_tls.h: the TLS context of the https:// REST listeners, from PEM
 * files named by the worker config:
 *
 *	listeners.https.ssl.certificate.location  certificate (chain), PEM
 *	listeners.https.ssl.key.location          private key, PEM
 *	listeners.https.ssl.key.password          if the key is encrypted
 *	listeners.https.ssl.keystore.location     with keystore.type=PEM: one
 *	                                          file with key and chain
 *	listeners.https.ssl.client.auth           none (default), requested
 *	                                          or required
 *	listeners.https.ssl.ca.location           CA certificates (PEM) that
 *	                                          client certificates must
 *	                                          chain to
 *
 * TLS 1.2 is the oldest version accepted. The unprefixed ssl.* keys are
 * the Kafka clients' and are never used here.
 *
 * Startup (event loop thread) only.
 */
#ifndef SLUICE_SV_REST_TLS_H
#define SLUICE_SV_REST_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "sv_worker.h"

/* A new SSL_CTX (SSL_CTX_free it), or NULL with err naming the key and
 * file at fault. */
SSL_CTX *sv_rest_tls_new(const struct sv_worker *w, char *err, size_t errlen);

/*
 * A new client SSL_CTX (SSL_CTX_free it) for forwarding requests to the
 * leader's https:// listener: the leader's certificate must chain to
 * listeners.https.ssl.ca.location (the cluster's CA), or, when that is
 * not set, to the system's CAs; the caller checks the host name. The
 * worker's own listener certificate and key (when set) are presented as
 * a client certificate, for leaders with client.auth=required. NULL with
 * err naming the key and file at fault.
 */
SSL_CTX *sv_rest_tls_client_new(const struct sv_worker *w, char *err,
                                size_t errlen);

#endif /* SLUICE_SV_REST_TLS_H */
