/*
 * auth.c - base64url, guest tokens, invites, and the auth service that
 * puts the guest and JWT providers behind one call.
 *
 * Design notes: a guest token is
 *   "g1." b64url(claims) "." b64url(HMAC-SHA256(key, "g1." b64url(claims)))
 * with claims {"sub", "name", "exp"[, "room", "role"]}.  The MAC is
 * checked (in constant time) before the claims are parsed, so forged
 * input never reaches the JSON parser.  Invites are a MAC of the room id
 * under a derived key: nothing to store, nothing to guess (ADR-0031).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "gw_priv.h"

#define GUEST_PREFIX "g1."
#define GUEST_TTL_DEFAULT (7 * 24 * 3600)
#define CLAIMS_MAX 2048

static const char *const fail_names[] = {
    [GW_AUTH_OK] = "ok",
    [GW_AUTH_MISSING] = "missing",
    [GW_AUTH_MALFORMED] = "malformed",
    [GW_AUTH_ALG] = "algorithm",
    [GW_AUTH_KEY] = "unknown_key",
    [GW_AUTH_SIGNATURE] = "signature",
    [GW_AUTH_EXPIRED] = "expired",
    [GW_AUTH_NOT_YET_VALID] = "not_yet_valid",
    [GW_AUTH_ISSUER] = "issuer",
    [GW_AUTH_AUDIENCE] = "audience",
    [GW_AUTH_DISABLED] = "disabled",
    [GW_AUTH_ROOM] = "wrong_room",
};

const char *
gw_auth_fail_name(enum gw_auth_fail why)
{
	if ((unsigned)why < sizeof(fail_names) / sizeof(fail_names[0]) && fail_names[why] != NULL)
		return fail_names[why];
	return "unknown";
}

/* ---- base64url ------------------------------------------------------------ */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum tc_err
gw_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0) + 1;
	size_t o = 0, i = 0;

	if (len > SIZE_MAX / 2 || need > cap)
		return TC_ETOOBIG;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
	}
	out[o] = '\0';
	return TC_OK;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

enum tc_err
gw_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len % 4 == 1)
		return TC_EPROTO;
	if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return TC_ETOOBIG;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)in[i]);
		if (v < 0)
			return TC_EPROTO;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero: one encoding per byte string. */
	if (acc != 0)
		return TC_EPROTO;
	*outlen = o;
	return TC_OK;
}

/* ---- identities ----------------------------------------------------------- */

bool
gw_id_valid(const char *s, size_t max)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return n > 0;
}

/* utf8_len: the length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

enum tc_err
gw_name_clean(const char *in, size_t len, char out[GW_NAME_MAX + 1])
{
	const unsigned char *s = (const unsigned char *)in;
	if (in == NULL)
		return TC_EINVAL;
	while (len > 0 && s[0] == ' ')
		s++, len--;
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len == 0 || len > GW_NAME_MAX)
		return TC_EINVAL;
	for (size_t i = 0; i < len;) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return TC_EINVAL;
		size_t n = utf8_len(s + i, len - i);
		if (n == 0)
			return TC_EINVAL;
		i += n;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return TC_OK;
}

static bool
role_valid(const char *r)
{
	return strcmp(r, "editor") == 0 || strcmp(r, "observer") == 0;
}

/* ---- guest tokens ---------------------------------------------------------- */

static void
hmac256(const uint8_t key[GW_GUEST_KEY_LEN], const void *msg, size_t len, uint8_t mac[32])
{
	unsigned int maclen = 32;
	HMAC(EVP_sha256(), key, GW_GUEST_KEY_LEN, msg, len, mac, &maclen);
}

enum tc_err
gw_guest_sign(
    const uint8_t key[GW_GUEST_KEY_LEN], const struct gw_identity *id, char *out, size_t cap)
{
	json_t *c;
	char *claims;
	uint8_t mac[32];
	enum tc_err rv;

	if (!gw_id_valid(id->user, GW_USER_MAX) || strlen(id->name) == 0 ||
	    strlen(id->name) > GW_NAME_MAX ||
	    (id->room[0] != '\0' && (!gw_id_valid(id->room, GW_ROOM_MAX) || !role_valid(id->role))))
		return TC_EINVAL;
	c = json_pack(
	    "{s:s, s:s, s:I}", "sub", id->user, "name", id->name, "exp", (json_int_t)id->exp);
	if (c == NULL)
		return TC_EINVAL; /* json_pack refuses invalid UTF-8 */
	if (id->room[0] != '\0') {
		json_object_set_new(c, "room", json_string(id->room));
		json_object_set_new(c, "role", json_string(id->role));
	}
	claims = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	if (claims == NULL)
		return TC_ENOMEM;
	size_t clen = strlen(claims);
	size_t plen = strlen(GUEST_PREFIX);
	if (cap < plen + 1) {
		free(claims);
		return TC_ETOOBIG;
	}
	memcpy(out, GUEST_PREFIX, plen);
	rv = gw_b64url_encode((const uint8_t *)claims, clen, out + plen, cap - plen);
	free(claims);
	if (rv != TC_OK)
		return rv;
	size_t signed_len = strlen(out);
	hmac256(key, out, signed_len, mac);
	if (signed_len + 2 > cap)
		return TC_ETOOBIG;
	out[signed_len] = '.';
	return gw_b64url_encode(mac, sizeof(mac), out + signed_len + 1, cap - signed_len - 1);
}

static const char *
claim_str(json_t *o, const char *k, size_t max)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

enum tc_err
gw_guest_verify(const uint8_t key[GW_GUEST_KEY_LEN], const char *token, size_t len, int64_t now,
    struct gw_identity *out, enum gw_auth_fail *why)
{
	enum gw_auth_fail w = GW_AUTH_MALFORMED;
	size_t plen = strlen(GUEST_PREFIX);
	uint8_t mac[32], got[34], claims[CLAIMS_MAX];
	size_t glen = 0, clen = 0;
	json_t *c = NULL;

	if (token == NULL || len == 0) {
		w = GW_AUTH_MISSING;
		goto fail;
	}
	if (len > GW_TOKEN_MAX || len <= plen || memcmp(token, GUEST_PREFIX, plen) != 0)
		goto fail;
	const char *dot = memchr(token + plen, '.', len - plen);
	if (dot == NULL)
		goto fail;
	size_t signed_len = (size_t)(dot - token);
	const char *sig = dot + 1;
	size_t siglen = len - signed_len - 1;
	if (gw_b64url_decode(sig, siglen, got, sizeof(got), &glen) != TC_OK || glen != 32)
		goto fail;
	hmac256(key, token, signed_len, mac);
	if (CRYPTO_memcmp(mac, got, 32) != 0) {
		w = GW_AUTH_SIGNATURE;
		goto fail;
	}
	if (gw_b64url_decode(token + plen, signed_len - plen, claims, sizeof(claims) - 1, &clen) !=
	    TC_OK)
		goto fail;
	c = json_loadb((const char *)claims, clen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(c))
		goto fail;
	const char *sub = claim_str(c, "sub", GW_USER_MAX);
	const char *name = claim_str(c, "name", GW_NAME_MAX);
	const char *room = claim_str(c, "room", GW_ROOM_MAX);
	const char *role = claim_str(c, "role", 15);
	json_t *exp = json_object_get(c, "exp");
	if (sub == NULL || !gw_id_valid(sub, GW_USER_MAX) || name == NULL || name[0] == '\0' ||
	    !json_is_integer(exp))
		goto fail;
	if ((room != NULL) != (role != NULL) ||
	    (room != NULL && (!gw_id_valid(room, GW_ROOM_MAX) || !role_valid(role))))
		goto fail;
	if (json_integer_value(exp) <= now) {
		w = GW_AUTH_EXPIRED;
		goto fail;
	}
	memset(out, 0, sizeof(*out));
	out->provider = GW_PROVIDER_GUEST;
	strcpy(out->user, sub);
	strcpy(out->name, name);
	if (room != NULL) {
		strcpy(out->room, room);
		strcpy(out->role, role);
	}
	out->exp = json_integer_value(exp);
	json_decref(c);
	if (why != NULL)
		*why = GW_AUTH_OK;
	return TC_OK;
fail:
	json_decref(c);
	if (why != NULL)
		*why = w;
	return TC_EAUTH;
}

/* ---- the service ------------------------------------------------------------ */

struct gw_auth {
	uint8_t key[GW_GUEST_KEY_LEN];
	uint8_t invite_key[GW_GUEST_KEY_LEN];
	bool guest_disabled;
	unsigned ttl_s;
	char *jwks_url;
	char *issuer;
	char *audience;
	unsigned leeway_s;
	unsigned refresh_s, min_gap_s;
	pthread_mutex_t lock; /* guards jwks and the watcher's fields below */
	struct gw_jwks *jwks; /* NULL: no JWT provider */
	/* the JWKS watcher (gw_auth_watch) */
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	pthread_t watcher;
	bool watching, stop, asked;
	uint64_t last_fetch_ms; /* when the last fetch started (monotonic) */
	struct gw_auth_stats stats;
};

/* Milliseconds on CLOCK_MONOTONIC, the clock of the watcher's condvar. */
static uint64_t
mono_ms(void)
{
	return tc_clock_now_ms(tc_clock_real());
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static enum tc_err
read_small_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? TC_ENOENT : tc_err_from_errno(errno);
	char *buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return TC_ENOMEM;
	}
	size_t n = fread(buf, 1, max + 1, f);
	bool err = ferror(f);
	fclose(f);
	if (err || n > max) {
		free(buf);
		return err ? TC_EIO : TC_ETOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return TC_OK;
}

static enum tc_err
load_or_create_key(const char *data_dir, uint8_t key[GW_GUEST_KEY_LEN], char *err, size_t errlen)
{
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	enum tc_err rv;

	if (data_dir == NULL || data_dir[0] == '\0')
		data_dir = ".";
	snprintf(path, sizeof(path), "%s/guest.key", data_dir);
	rv = read_small_file(path, 256, &text, &len);
	if (rv == TC_OK) {
		size_t n = 0;
		for (size_t i = 0; i + 1 < len && n < GW_GUEST_KEY_LEN; i += 2) {
			unsigned v;
			if (sscanf(text + i, "%2x", &v) != 1)
				break;
			key[n++] = (uint8_t)v;
		}
		free(text);
		if (n != GW_GUEST_KEY_LEN) {
			snprintf(err, errlen,
			    "%s: not a 64-digit hex key; remove it to make a new one", path);
			return TC_ECORRUPT;
		}
		return TC_OK;
	}
	if (rv != TC_ENOENT) {
		snprintf(err, errlen, "cannot read %s: %s", path, tc_strerror(rv));
		return rv;
	}
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return TC_EPERM;
	}
	if (RAND_bytes(key, GW_GUEST_KEY_LEN) != 1) {
		snprintf(err, errlen, "no randomness for the guest key");
		return TC_EINTERNAL;
	}
	char hex[GW_GUEST_KEY_LEN * 2 + 2];
	for (size_t i = 0; i < GW_GUEST_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[GW_GUEST_KEY_LEN * 2] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return errno == EEXIST ? TC_EBUSY : TC_EPERM;
	}
	ssize_t w = write(fd, hex, GW_GUEST_KEY_LEN * 2 + 1);
	if (w != GW_GUEST_KEY_LEN * 2 + 1 || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		snprintf(err, errlen, "cannot write %s", path);
		return TC_EIO;
	}
	close(fd);
	tc_log(TC_LOG_INFO, "gateway", "created guest token key %s", path);
	return TC_OK;
}

enum tc_err
gw_auth_new(const struct gw_auth_config *cfg, const char *data_dir, struct gw_auth **out, char *err,
    size_t errlen)
{
	struct gw_auth *a = calloc(1, sizeof(*a));
	char dummy[8];
	enum tc_err rv;

	if (err == NULL)
		err = dummy, errlen = sizeof(dummy);
	err[0] = '\0';
	*out = NULL;
	if (a == NULL)
		return TC_ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_condattr_destroy(&ca);
	a->refresh_s = cfg->jwks_refresh_s ? cfg->jwks_refresh_s : 600;
	a->min_gap_s = cfg->jwks_min_gap_s ? cfg->jwks_min_gap_s : 30;
	a->guest_disabled = cfg->guest_disabled;
	a->ttl_s = cfg->guest_ttl_s ? cfg->guest_ttl_s : GUEST_TTL_DEFAULT;
	a->leeway_s = cfg->leeway_s ? cfg->leeway_s : 60;
	a->jwks_url = dup_or_null(cfg->jwks_url);
	a->issuer = dup_or_null(cfg->issuer);
	a->audience = dup_or_null(cfg->audience);
	if (cfg->guest_secret != NULL && cfg->guest_secret[0] != '\0') {
		SHA256((const unsigned char *)cfg->guest_secret, strlen(cfg->guest_secret), a->key);
	} else if ((rv = load_or_create_key(data_dir, a->key, err, errlen)) != TC_OK) {
		gw_auth_free(a);
		return rv;
	}
	/* A separate key for invites, derived so one secret serves both. */
	hmac256(a->key, "tandem invite key", 17, a->invite_key);
	if (cfg->jwks_file != NULL && cfg->jwks_file[0] != '\0') {
		char *text = NULL;
		size_t len = 0;
		if ((rv = read_small_file(cfg->jwks_file, GW_JWKS_MAX, &text, &len)) != TC_OK ||
		    (rv = gw_auth_set_jwks(a, text, len)) != TC_OK) {
			snprintf(err, errlen, "JWKS file %s: %s", cfg->jwks_file, tc_strerror(rv));
			free(text);
			gw_auth_free(a);
			return rv;
		}
		free(text);
	}
	*out = a;
	return TC_OK;
}

void
gw_auth_free(struct gw_auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	bool joined = a->watching;
	a->stop = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	if (joined)
		pthread_join(a->watcher, NULL);
	gw_jwks_unref(a->jwks);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a->jwks_url);
	free(a->issuer);
	free(a->audience);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	OPENSSL_cleanse(a->invite_key, sizeof(a->invite_key));
	free(a);
}

/* install swaps in a parsed key set; counted (under the same lock) when
 * it came from the URL, so a reader that sees the keys sees the count. */
static enum tc_err
install(struct gw_auth *a, const char *json, size_t len, bool fetched)
{
	struct gw_jwks *ks = NULL, *old;
	enum tc_err rv = gw_jwks_parse(json, len, &ks);
	if (rv != TC_OK)
		return rv;
	pthread_mutex_lock(&a->lock);
	old = a->jwks;
	a->jwks = ks;
	if (fetched)
		a->stats.fetches++;
	pthread_mutex_unlock(&a->lock);
	gw_jwks_unref(old);
	tc_log(TC_LOG_INFO, "gateway", "JWKS installed: %zu usable keys", gw_jwks_count(ks));
	return TC_OK;
}

enum tc_err
gw_auth_set_jwks(struct gw_auth *a, const char *json, size_t len)
{
	return install(a, json, len, false);
}

enum tc_err
gw_auth_refresh(struct gw_auth *a)
{
	char *text = NULL;
	size_t len = 0;
	enum tc_err rv;

	if (a->jwks_url == NULL)
		return TC_OK;
	if ((rv = gw__jwks_fetch(a->jwks_url, &text, &len)) == TC_OK) {
		rv = install(a, text, len, true);
		free(text);
		if (rv != TC_OK)
			tc_log(TC_LOG_WARN, "gateway", "JWKS from %s refused: %s", a->jwks_url,
			    tc_strerror(rv));
	}
	if (rv != TC_OK) {
		pthread_mutex_lock(&a->lock);
		a->stats.fetch_failures++;
		pthread_mutex_unlock(&a->lock);
	}
	return rv;
}

static void *
watch_main(void *arg)
{
	struct gw_auth *a = arg;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		uint64_t due = a->last_fetch_ms + (uint64_t)a->refresh_s * 1000;
		if (!a->asked && mono_ms() < due) {
			struct timespec ts = {(time_t)(due / 1000), (long)(due % 1000) * 1000000};
			pthread_cond_timedwait(&a->wake, &a->lock, &ts);
			continue;
		}
		a->asked = false;
		a->last_fetch_ms = mono_ms();
		pthread_mutex_unlock(&a->lock);
		gw_auth_refresh(a);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

enum tc_err
gw_auth_watch(struct gw_auth *a)
{
	enum tc_err rv = TC_OK;

	if (a->jwks_url == NULL)
		return TC_OK;
	pthread_mutex_lock(&a->lock);
	if (a->watching) {
		rv = TC_ESTATE;
	} else {
		a->last_fetch_ms = mono_ms();
		if (pthread_create(&a->watcher, NULL, watch_main, a) != 0)
			rv = TC_ENOMEM;
		else
			a->watching = true;
	}
	pthread_mutex_unlock(&a->lock);
	return rv;
}

void
gw_auth_stats_get(struct gw_auth *a, struct gw_auth_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
}

/* ask_fetch: a token named a key we lack; wake the watcher unless it
 * fetched (or was asked) within the last min_gap_s.  Blocks: no. */
static void
ask_fetch(struct gw_auth *a)
{
	pthread_mutex_lock(&a->lock);
	if (a->watching && !a->stop) {
		uint64_t now = mono_ms();
		if (a->asked || now < a->last_fetch_ms + (uint64_t)a->min_gap_s * 1000) {
			a->stats.early_dropped++;
		} else {
			a->asked = true;
			a->last_fetch_ms = now;
			a->stats.early_asked++;
			pthread_cond_signal(&a->wake);
		}
	}
	pthread_mutex_unlock(&a->lock);
}

bool
gw_auth_guest_enabled(const struct gw_auth *a)
{
	return !a->guest_disabled;
}

enum tc_err
gw_auth_verify(struct gw_auth *a, const char *token, size_t len, int64_t now,
    struct gw_identity *out, enum gw_auth_fail *why)
{
	enum gw_auth_fail dummy;
	if (why == NULL)
		why = &dummy;
	if (token == NULL || len == 0) {
		*why = GW_AUTH_MISSING;
		return TC_EAUTH;
	}
	if (len > strlen(GUEST_PREFIX) && memcmp(token, GUEST_PREFIX, strlen(GUEST_PREFIX)) == 0) {
		enum tc_err rv = gw_guest_verify(a->key, token, len, now, out, why);
		/* Room-bound tokens are also how JWT users enter rooms; unbound
		 * guest tokens exist only while guests may sign in. */
		if (rv == TC_OK && a->guest_disabled && out->room[0] == '\0') {
			*why = GW_AUTH_DISABLED;
			return TC_EAUTH;
		}
		return rv;
	}
	pthread_mutex_lock(&a->lock);
	struct gw_jwks *ks = a->jwks != NULL ? gw_jwks_ref(a->jwks) : NULL;
	pthread_mutex_unlock(&a->lock);
	if (ks == NULL) {
		*why = GW_AUTH_DISABLED;
		if (a->jwks_url != NULL)
			ask_fetch(a); /* the first fetch failed: try again, gently */
		return TC_EAUTH;
	}
	struct gw_jwt_policy pol = {a->issuer, a->audience, a->leeway_s};
	enum tc_err rv = gw_jwt_verify(ks, token, len, &pol, now, out, why);
	gw_jwks_unref(ks);
	if (rv != TC_OK && *why == GW_AUTH_KEY && a->jwks_url != NULL)
		ask_fetch(a); /* perhaps a rotated key */
	return rv;
}

enum tc_err
gw_auth_issue(struct gw_auth *a, const struct gw_identity *id, int64_t now, char *out, size_t cap)
{
	struct gw_identity c = *id;
	c.exp = now + a->ttl_s;
	return gw_guest_sign(a->key, &c, out, cap);
}

enum tc_err
gw_auth_invite(struct gw_auth *a, const char *room, char out[GW_INVITE_LEN + 1])
{
	uint8_t mac[32];
	char full[48];
	if (!gw_id_valid(room, GW_ROOM_MAX))
		return TC_EINVAL;
	hmac256(a->invite_key, room, strlen(room), mac);
	enum tc_err rv = gw_b64url_encode(mac, 18, full, sizeof(full)); /* 18 bytes: 24 chars */
	if (rv != TC_OK)
		return rv;
	memcpy(out, full, GW_INVITE_LEN);
	out[GW_INVITE_LEN] = '\0';
	return TC_OK;
}

bool
gw_auth_invite_ok(struct gw_auth *a, const char *room, const char *invite)
{
	char want[GW_INVITE_LEN + 1];
	if (invite == NULL || strlen(invite) != GW_INVITE_LEN ||
	    gw_auth_invite(a, room, want) != TC_OK)
		return false;
	return CRYPTO_memcmp(want, invite, GW_INVITE_LEN) == 0;
}
