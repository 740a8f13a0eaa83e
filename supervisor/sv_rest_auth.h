/*
 * sv_rest_auth.h: HTTP Basic authentication for the REST listeners.
 *
 * The credentials file (rest.basic.auth.file) has one user a line,
 *
 *	# comment
 *	alice:$y$j9T$...      (crypt(3) hash: yescrypt, bcrypt, SHA-512/256)
 *
 * Plaintext, DES and MD5-crypt entries are refused when the file is
 * loaded. Passwords are checked with crypt_r(3) from libcrypt; a check
 * costs what the hash asks (yescrypt's default about 15 ms), so the
 * credentials of a successful check are remembered for five minutes as a
 * keyed SHA-256 digest (never in clear), and an unknown user costs as
 * much as a wrong password. The file is read again when it changes
 * (checked at each request); if the new content is invalid the old one
 * stays in force and the error is logged.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_REST_AUTH_H
#define SLUICE_SV_REST_AUTH_H

#include <stddef.h>

struct sv_rest_auth;

/* Loads path. NULL with err set if it cannot be read or is invalid (err
 * names the line). */
struct sv_rest_auth *sv_rest_auth_new(const char *path, char *err,
                                      size_t errlen);
void sv_rest_auth_free(struct sv_rest_auth *a); /* NULL is fine */

/*
 * Checks an Authorization header value (NULL: none). 0 with the user name
 * in user (truncated to userlen), or -EACCES.
 */
int sv_rest_auth_check(struct sv_rest_auth *a, const char *header, char *user,
                       size_t userlen);

/* Decodes standard base64 (with padding) into out (at most outlen bytes).
 * Returns the length, or -1 if s is not valid base64 or too long. */
long sv_rest_auth_base64(const char *s, unsigned char *out, size_t outlen);

#endif /* SLUICE_SV_REST_AUTH_H */
