/*
 * gateway/auth.h - who is connecting: one interface, two providers.
 *
 * guest  The gateway signs its own tokens with HMAC-SHA256: a name and a
 *        generated user id, an expiry, and optionally the room and role the
 *        token was issued for (POST /api/rooms, POST /api/rooms/{id}/join).
 *          "g1." b64url(claims JSON) "." b64url(HMAC-SHA256(key, "g1." b64url(claims)))
 * JWT    Tokens of an identity provider (Clerk, Cognito, ...): RS256 or
 *        ES256 signatures verified against a JWKS (file or URL), with
 *        issuer, audience, expiry and not-before checks.  alg "none", HMAC
 *        algorithms and keys the JWKS does not hold are refused.
 *
 * A JWT is never bound to a room; the REST API exchanges it for a guest-
 * format token bound to the room and role (ADR-0032).
 *
 * Thread: every function is safe from any thread; a struct gw_auth may be
 * shared (its key set is swapped under a lock by gw_auth_set_jwks).
 * Blocks: only gw_auth_new (reads or creates the key file),
 * gw_auth_refresh (fetches a JWKS URL) and gw_auth_free (joins the
 * watcher) block.
 *
 * Key rotation: identity providers publish a new key in their JWKS before
 * they sign with it, and drop old keys later.  With a URL, gw_auth_watch
 * runs one thread that fetches it every jwks_refresh_s; a token naming a
 * key the set lacks (or any JWT while no set could be fetched yet) asks
 * that thread for an early fetch, at most once per jwks_min_gap_s, so a
 * burst of forged kids cannot make the gateway hammer the provider.  The
 * token that asked is refused; its client's retry finds the new key.
 */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define GW_USER_MAX 64     /* user ids: [A-Za-z0-9_.:-], as the store's ids */
#define GW_NAME_MAX 64     /* display names: UTF-8, no control characters */
#define GW_ROOM_MAX 64     /* room ids */
#define GW_TOKEN_MAX 8192  /* longest token accepted */
#define GW_JWKS_MAX 262144 /* longest JWKS document accepted */
#define GW_JWKS_KEYS_MAX 64
#define GW_INVITE_LEN 22 /* invite codes: 22 base64url characters (132 bits) */

enum gw_provider {
	GW_PROVIDER_GUEST = 1,
	GW_PROVIDER_JWT = 2,
};

/* An authenticated identity. */
struct gw_identity {
	enum gw_provider provider;
	char user[GW_USER_MAX + 1];
	char name[GW_NAME_MAX + 1];
	char room[GW_ROOM_MAX + 1]; /* the room a token is bound to, or "" */
	char role[16];              /* "editor" or "observer" when bound, else "" */
	int64_t exp;                /* expiry, seconds since the epoch */
};

/* Why a token was refused: the reason label of gw_auth_failures_total. */
enum gw_auth_fail {
	GW_AUTH_OK = 0,
	GW_AUTH_MISSING,       /* no token */
	GW_AUTH_MALFORMED,     /* not a token of a known shape, bad encoding or JSON */
	GW_AUTH_ALG,           /* an algorithm not allowed (none, HS256, ...) */
	GW_AUTH_KEY,           /* no key in the key set for this token */
	GW_AUTH_SIGNATURE,     /* the signature does not verify (forged) */
	GW_AUTH_EXPIRED,       /* exp passed */
	GW_AUTH_NOT_YET_VALID, /* nbf in the future */
	GW_AUTH_ISSUER,        /* iss is not the configured issuer */
	GW_AUTH_AUDIENCE,      /* aud does not hold the configured audience */
	GW_AUTH_DISABLED,      /* the token's provider is not enabled */
	GW_AUTH_ROOM,          /* a token bound to another room */
};

/* gw_auth_fail_name: "missing", "malformed", ... (static text). */
const char *gw_auth_fail_name(enum gw_auth_fail why);

/* ---- base64url (RFC 4648 section 5, no padding) ------------------------- */

/* gw_b64url_encode writes the encoding of len bytes and a NUL to out (cap
 * bytes).  Returns TC_ETOOBIG when it does not fit. */
enum tc_err gw_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* gw_b64url_decode decodes len characters (padding refused) into out (cap
 * bytes); *outlen receives the size.  TC_EPROTO on any bad character or
 * length, TC_ETOOBIG when it does not fit. */
enum tc_err gw_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* ---- guest tokens -------------------------------------------------------- */

#define GW_GUEST_KEY_LEN 32

/*
 * gw_guest_sign writes the guest token for id (user, name, exp, and room
 * and role when room is not "") to out (cap bytes, NUL-terminated).
 * Returns TC_EINVAL for an invalid id, TC_ETOOBIG when out is too small.
 */
enum tc_err gw_guest_sign(
    const uint8_t key[GW_GUEST_KEY_LEN], const struct gw_identity *id, char *out, size_t cap);

/*
 * gw_guest_verify checks a guest token (len bytes, not NUL-terminated) at
 * time now (seconds): shape, signature (constant time), then claims.  On
 * success *out is filled.  Otherwise returns TC_EAUTH with the reason in
 * *why (may be NULL).
 */
enum tc_err gw_guest_verify(const uint8_t key[GW_GUEST_KEY_LEN], const char *token, size_t len,
    int64_t now, struct gw_identity *out, enum gw_auth_fail *why);

/* ---- JWT ------------------------------------------------------------------ */

struct gw_jwks;

/*
 * gw_jwks_parse reads a JWKS document ({"keys": [...]}, at most
 * GW_JWKS_MAX bytes): RSA keys of 2048 bits or more and EC P-256 keys are
 * kept, other keys (and keys whose "use" is not "sig") are skipped.
 * The caller owns *out (gw_jwks_unref).  TC_EPROTO for a malformed
 * document, TC_ETOOBIG over the caps.
 */
enum tc_err gw_jwks_parse(const char *json, size_t len, struct gw_jwks **out);
/* gw_jwks_count: keys kept.  gw_jwks_ref/unref: shared ownership. */
size_t gw_jwks_count(const struct gw_jwks *ks);
struct gw_jwks *gw_jwks_ref(struct gw_jwks *ks);
void gw_jwks_unref(struct gw_jwks *ks);

/* What a JWT must satisfy besides its signature. */
struct gw_jwt_policy {
	const char *issuer;   /* iss must equal it; NULL: not checked */
	const char *audience; /* aud (or client_id) must hold it; NULL: not checked */
	unsigned leeway_s;    /* clock skew allowed on exp and nbf */
};

/*
 * gw_jwt_verify checks a compact JWS (len bytes) against ks and pol at time
 * now: RS256 or ES256 only, kid must name a key of the set (or, without a
 * kid, the set must hold exactly one key of the algorithm's type), a
 * signature that verifies, exp present and not passed, nbf (if present)
 * reached, iss and aud as configured, sub present.  The identity's user is
 * "j-" + sub (or a hash of sub when it has characters ids may not hold),
 * its name the name, preferred_username, email or username claim, or sub.
 * Returns TC_EAUTH with *why, TC_ENOMEM.
 */
enum tc_err gw_jwt_verify(const struct gw_jwks *ks, const char *token, size_t len,
    const struct gw_jwt_policy *pol, int64_t now, struct gw_identity *out, enum gw_auth_fail *why);

/* ---- the auth service ----------------------------------------------------- */

struct gw_auth_config {
	const char *guest_secret; /* NULL: read or create <data_dir>/guest.key */
	bool guest_disabled;      /* refuse guest sign-in (JWT only) */
	unsigned guest_ttl_s;     /* guest token lifetime; 0: 7 days */
	const char *jwks_file;    /* JWKS file, or NULL */
	const char *jwks_url;     /* JWKS URL (fetched at start, then watched), or NULL */
	unsigned jwks_refresh_s;  /* the URL is fetched again this often; 0: 600 */
	unsigned jwks_min_gap_s;  /* an unknown key asks for a fetch at most this often; 0: 30 */
	const char *issuer;       /* JWT iss; NULL: not checked */
	const char *audience;     /* JWT aud; NULL: not checked */
	unsigned leeway_s;        /* 0: 60 */
};

struct gw_auth;

/*
 * gw_auth_new builds the service: the guest key from cfg->guest_secret
 * (any text; its SHA-256 is the key), else from data_dir/guest.key (32
 * random bytes, hex, created with mode 0600 when missing); the JWKS from
 * jwks_file if given.  A JWKS URL is fetched by gw_auth_refresh.  The
 * caller owns *out.  On failure a one-line reason goes to err.
 * Thread: any.  Blocks: yes (files).
 */
enum tc_err gw_auth_new(const struct gw_auth_config *cfg, const char *data_dir,
    struct gw_auth **out, char *err, size_t errlen);
void gw_auth_free(struct gw_auth *a);

/*
 * gw_auth_refresh fetches the configured JWKS URL with libcurl (10 s
 * timeout, at most GW_JWKS_MAX bytes) and installs it.  TC_OK with nothing
 * done when no URL is configured.  Thread: not the service thread.
 * Blocks: yes (network).
 */
enum tc_err gw_auth_refresh(struct gw_auth *a);

/*
 * gw_auth_watch starts the JWKS watcher thread described above (TC_OK and
 * nothing started without a URL; TC_ESTATE if already started).  It does
 * not fetch at once: call gw_auth_refresh first for that.  gw_auth_free
 * stops it.  Thread: any but the watcher.  Blocks: no.
 */
enum tc_err gw_auth_watch(struct gw_auth *a);

/* What the watcher did, for tests and logs. */
struct gw_auth_stats {
	uint64_t fetches;        /* fetches that installed a key set (any caller) */
	uint64_t fetch_failures; /* fetches or documents that failed */
	uint64_t early_asked;    /* early fetches a token asked for and got */
	uint64_t early_dropped;  /* ... and did not get (too soon, or one pending) */
};
void gw_auth_stats_get(struct gw_auth *a, struct gw_auth_stats *out);

/* gw_auth_set_jwks installs a key set (parsed from json).  Blocks: no. */
enum tc_err gw_auth_set_jwks(struct gw_auth *a, const char *json, size_t len);

/*
 * gw_auth_verify checks a token of either provider at time now (seconds).
 * Returns TC_OK and fills *out, or TC_EAUTH with *why.  Blocks: no.
 */
enum tc_err gw_auth_verify(struct gw_auth *a, const char *token, size_t len, int64_t now,
    struct gw_identity *out, enum gw_auth_fail *why);

/*
 * gw_auth_issue signs a guest-format token for id, valid for the
 * configured lifetime from now (id->exp is ignored).  Used for guests and
 * for room-bound tokens of any provider.
 */
enum tc_err gw_auth_issue(
    struct gw_auth *a, const struct gw_identity *id, int64_t now, char *out, size_t cap);

/* gw_auth_guest_enabled: whether guests may sign in. */
bool gw_auth_guest_enabled(const struct gw_auth *a);

/*
 * gw_auth_invite writes room's invite code (GW_INVITE_LEN characters and a
 * NUL): a MAC of the room id, so invites need no storage.
 * gw_auth_invite_ok compares one in constant time.
 */
enum tc_err gw_auth_invite(struct gw_auth *a, const char *room, char out[GW_INVITE_LEN + 1]);
bool gw_auth_invite_ok(struct gw_auth *a, const char *room, const char *invite);

/* gw_id_valid: 1..max bytes of [A-Za-z0-9_.:-]. */
bool gw_id_valid(const char *s, size_t max);

/*
 * gw_name_clean copies a display name, trimming spaces at both ends, into
 * out (GW_NAME_MAX + 1 bytes).  Refuses (TC_EINVAL) an empty name, one
 * longer than GW_NAME_MAX bytes, invalid UTF-8 or control characters.
 */
enum tc_err gw_name_clean(const char *in, size_t len, char out[GW_NAME_MAX + 1]);

#endif /* GATEWAY_AUTH_H */
