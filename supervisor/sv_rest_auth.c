/* sv_rest_auth.c: see sv_rest_auth.h. */
#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sv_file.h"
#include "sv_log.h"
#include "sv_rest_auth.h"
#include "sv_unit.h"

#define AUTH_FILE_MAX (1u << 20)
#define CACHE_SLOTS   32
#define CACHE_TTL_MS  (5 * 60 * 1000)
#define CRED_MAX      1024

/* crypt(3) hash methods accepted: strong ones only. */
static const char *const good_prefixes[] = {
    "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$2a$", "$6$", "$5$", NULL,
};

struct user {
	char *name;
	char *hash;
};

struct cached {
	unsigned char digest[32];
	char user[128];
	int64_t expires_ms;
};

struct sv_rest_auth {
	char *path;
	struct stat st; /* of the loaded file */
	struct user *users;
	size_t nusers;
	struct crypt_data *cd;
	unsigned char key[32]; /* keys the cache digests */
	struct cached cache[CACHE_SLOTS];
	size_t next_slot;
};

static void free_users(struct user *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].name);
		if (u[i].hash)
			OPENSSL_cleanse(u[i].hash, strlen(u[i].hash));
		free(u[i].hash);
	}
	free(u);
}

static bool good_hash(const char *h)
{
	for (size_t i = 0; good_prefixes[i]; i++)
		if (strncmp(h, good_prefixes[i], strlen(good_prefixes[i])) == 0)
			return true;
	return false;
}

/* Parses the file's text into a user table. */
static int parse(struct sv_rest_auth *a, char *text, struct user **out,
                 size_t *nout, char *err, size_t errlen)
{
	struct user *users = NULL, *v;
	size_t n = 0;
	char *line, *save = NULL;
	int lineno = 0, rc = -EINVAL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon, *hash, *e;
		const char *probe;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		for (e = line + strlen(line);
		     e > line &&
		     (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');)
			*--e = '\0';
		if (!*line || *line == '#')
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line) {
			snprintf(err, errlen, "%s:%d: expected user:hash",
			         a->path, lineno);
			goto out;
		}
		*colon = '\0';
		hash = colon + 1;
		if (!good_hash(hash)) {
			snprintf(err, errlen,
			         "%s:%d: the password of %s is not a yescrypt, "
			         "bcrypt or SHA-crypt hash (plaintext, DES and "
			         "MD5 are refused; make one with mkpasswd -m "
			         "yescrypt or openssl passwd -6)",
			         a->path, lineno, line);
			goto out;
		}
		/* a hash crypt(3) cannot use, or only a setting without its
		 * hash part, would never match: refuse it */
		probe = crypt_r("", hash, a->cd);
		if (!probe || probe[0] == '*' ||
		    strlen(probe) != strlen(hash)) {
			snprintf(err, errlen,
			         "%s:%d: the hash of %s is malformed", a->path,
			         lineno, line);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(users[i].name, line) == 0) {
				snprintf(err, errlen,
				         "%s:%d: user %s is listed twice",
				         a->path, lineno, line);
				goto out;
			}
		if (!(v = realloc(users, (n + 1) * sizeof(*v))))
			goto out_nomem;
		users = v;
		users[n].name = strdup(line);
		users[n].hash = strdup(hash);
		n++;
		if (!users[n - 1].name || !users[n - 1].hash)
			goto out_nomem;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no user is defined", a->path);
		goto out;
	}
	*out = users;
	*nout = n;
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out:
	free_users(users, n);
	return rc;
}

static int load(struct sv_rest_auth *a, char *err, size_t errlen)
{
	struct user *users = NULL;
	struct stat st;
	size_t n = 0, len;
	char *text;
	int rc;

	if (stat(a->path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", a->path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & 0077)
		sv_warn("SV-REST-AUTH-FILE",
		        "%s is readable by other users (mode %03o); chmod 600 "
		        "it",
		        a->path, (unsigned)(st.st_mode & 0777));
	rc = sv_file_read(a->path, AUTH_FILE_MAX, &text, &len, err, errlen);
	if (rc)
		return rc;
	rc = parse(a, text, &users, &n, err, errlen);
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc)
		return rc;
	free_users(a->users, a->nusers);
	a->users = users;
	a->nusers = n;
	a->st = st;
	memset(a->cache, 0, sizeof(a->cache));
	return 0;
}

struct sv_rest_auth *sv_rest_auth_new(const char *path, char *err,
                                      size_t errlen)
{
	struct sv_rest_auth *a = calloc(1, sizeof(*a));

	if (!a || !(a->path = strdup(path)) ||
	    !(a->cd = calloc(1, sizeof(*a->cd)))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto out_free;
	}
	if (load(a, err, errlen))
		goto out_free;
	return a;
out_free:
	sv_rest_auth_free(a);
	return NULL;
}

void sv_rest_auth_free(struct sv_rest_auth *a)
{
	if (!a)
		return;
	free_users(a->users, a->nusers);
	a->users = NULL;
	free(a->cd);
	a->cd = NULL;
	free(a->path);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* Reads the file again if it changed since it was loaded. */
static void maybe_reload(struct sv_rest_auth *a)
{
	struct stat st;
	char err[512];

	if (stat(a->path, &st) == -1 ||
	    (st.st_ino == a->st.st_ino && st.st_size == a->st.st_size &&
	     st.st_mtim.tv_sec == a->st.st_mtim.tv_sec &&
	     st.st_mtim.tv_nsec == a->st.st_mtim.tv_nsec))
		return;
	if (load(a, err, sizeof(err))) {
		sv_error("SV-REST-AUTH-FILE",
		         "%s changed but cannot be used (the previous users "
		         "stay in force): %s",
		         a->path, err);
		a->st = st; /* say it once */
		return;
	}
	sv_info("SV-REST-AUTH-FILE", "%s reloaded: %zu user(s)", a->path,
	        a->nusers);
}

long sv_rest_auth_base64(const char *s, unsigned char *out, size_t outlen)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p;

		if (s[i] == '=') {
			/* only at the end, at most two */
			if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
				return -1;
			continue;
		}
		if (!(p = strchr(alphabet, s[i])))
			return -1;
		acc = (acc << 6) | (uint32_t)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

static void digest(struct sv_rest_auth *a, const char *cred, size_t len,
                   unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;

	memset(out, 0, 32);
	if (!ctx)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a->key, sizeof(a->key)) != 1 ||
	    EVP_DigestUpdate(ctx, cred, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		memset(out, 0, 32);
	EVP_MD_CTX_free(ctx);
}

int sv_rest_auth_check(struct sv_rest_auth *a, const char *header, char *user,
                       size_t userlen)
{
	unsigned char cred[CRED_MAX + 1], d[32];
	const struct user *u = NULL;
	int64_t now = sv_now_ms();
	const char *computed;
	char *colon, *pass;
	long len;
	int rc = -EACCES;

	maybe_reload(a);
	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -EACCES;
	header += 6;
	while (*header == ' ')
		header++;
	len = sv_rest_auth_base64(header, cred, CRED_MAX);
	if (len <= 0)
		return -EACCES;
	cred[len] = '\0';
	if (memchr(cred, '\0', (size_t)len) ||
	    !(colon = strchr((char *)cred, ':')))
		goto out;
	digest(a, (const char *)cred, (size_t)len, d);
	*colon = '\0';
	pass = colon + 1;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cached *c = &a->cache[i];

		if (c->expires_ms > now &&
		    CRYPTO_memcmp(c->digest, d, 32) == 0 &&
		    strcmp(c->user, (char *)cred) == 0) {
			snprintf(user, userlen, "%s", c->user);
			rc = 0;
			goto out;
		}
	}
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, (char *)cred) == 0)
			u = &a->users[i];
	/* an unknown user costs a hash too: no timing tells who exists */
	computed = crypt_r(pass, u ? u->hash : a->users[0].hash, a->cd);
	if (!u || !computed || strlen(computed) != strlen(u->hash) ||
	    CRYPTO_memcmp(computed, u->hash, strlen(u->hash)) != 0)
		goto out;
	if (strlen(u->name) < sizeof(a->cache[0].user)) {
		struct cached *c = &a->cache[a->next_slot];

		a->next_slot = (a->next_slot + 1) % CACHE_SLOTS;
		memcpy(c->digest, d, 32);
		snprintf(c->user, sizeof(c->user), "%s", u->name);
		c->expires_ms = now + CACHE_TTL_MS;
	}
	snprintf(user, userlen, "%s", u->name);
	rc = 0;
out:
	OPENSSL_cleanse(cred, sizeof(cred));
	OPENSSL_cleanse(a->cd, sizeof(*a->cd));
	return rc;
}
