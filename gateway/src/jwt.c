/*
 * jwt.c - JWKS key sets and JWT (compact JWS) verification with OpenSSL,
 * and fetching a JWKS URL with libcurl.
 *
 * Design notes: the algorithm allow-list is fixed (RS256, ES256) and the
 * key's type must match the algorithm, so neither "none" nor the RSA/HMAC
 * confusion attack can pass.  Keys come only from the configured JWKS;
 * header fields that point at other keys (jwk, jku, x5u) are ignored, and a
 * "crit" header is refused.  Sizes are checked before anything is decoded;
 * the signature is verified before the claims are looked at.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "gw_priv.h"

#define JWT_PART_MAX 6144 /* decoded header or claims */
#define JWT_SIG_MAX 1024  /* decoded signature: RSA up to 8192 bits */
#define RSA_MIN_BYTES 256 /* 2048 bits */
#define RSA_MAX_BYTES 1024

enum key_type {
	KEY_RSA = 1,
	KEY_EC = 2
};

struct jwk {
	char kid[128];
	char alg[16]; /* "" when the JWK does not say */
	enum key_type type;
	EVP_PKEY *pkey;
};

struct gw_jwks {
	atomic_int refs;
	size_t n;
	struct jwk keys[GW_JWKS_KEYS_MAX];
};

size_t
gw_jwks_count(const struct gw_jwks *ks)
{
	return ks != NULL ? ks->n : 0;
}

struct gw_jwks *
gw_jwks_ref(struct gw_jwks *ks)
{
	atomic_fetch_add(&ks->refs, 1);
	return ks;
}

void
gw_jwks_unref(struct gw_jwks *ks)
{
	if (ks == NULL || atomic_fetch_sub(&ks->refs, 1) != 1)
		return;
	for (size_t i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->keys[i].pkey);
	free(ks);
}

/* Decodes a base64url member of a JWK into buf; 0 on failure. */
static size_t
jwk_bytes(json_t *k, const char *name, uint8_t *buf, size_t cap)
{
	json_t *v = json_object_get(k, name);
	size_t n = 0;
	if (!json_is_string(v) ||
	    gw_b64url_decode(json_string_value(v), json_string_length(v), buf, cap, &n) != TC_OK)
		return 0;
	return n;
}

static EVP_PKEY *
pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params != NULL && pctx != NULL && EVP_PKEY_fromdata_init(pctx) == 1 &&
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (check == NULL || EVP_PKEY_public_check(check) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(check);
	}
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
rsa_key(json_t *k)
{
	uint8_t nb[RSA_MAX_BYTES + 1], eb[8];
	size_t nlen = jwk_bytes(k, "n", nb, sizeof(nb));
	size_t elen = jwk_bytes(k, "e", eb, sizeof(eb));
	EVP_PKEY *pkey = NULL;

	/* Strip a leading zero byte some encoders add. */
	size_t off = nlen > 0 && nb[0] == 0 ? 1 : 0;
	if (nlen - off < RSA_MIN_BYTES || nlen - off > RSA_MAX_BYTES || elen == 0 || elen > 4 ||
	    (eb[elen - 1] & 1) == 0)
		return NULL;
	BIGNUM *n = BN_bin2bn(nb + off, (int)(nlen - off), NULL);
	BIGNUM *e = BN_bin2bn(eb, (int)elen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (n != NULL && e != NULL && bld != NULL && !BN_is_one(e) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pkey = pkey_from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *
ec_key(json_t *k)
{
	uint8_t pub[65], x[33], y[33];
	json_t *crv = json_object_get(k, "crv");
	EVP_PKEY *pkey = NULL;

	if (!json_is_string(crv) || strcmp(json_string_value(crv), "P-256") != 0)
		return NULL;
	if (jwk_bytes(k, "x", x, sizeof(x)) != 32 || jwk_bytes(k, "y", y, sizeof(y)) != 32)
		return NULL;
	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ==
	        1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) == 1)
		pkey = pkey_from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static const char *
str_member(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

enum tc_err
gw_jwks_parse(const char *json, size_t len, struct gw_jwks **out)
{
	json_t *doc, *keys;
	struct gw_jwks *ks;

	*out = NULL;
	if (json == NULL || len > GW_JWKS_MAX)
		return json == NULL ? TC_EINVAL : TC_ETOOBIG;
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	keys = json_object_get(doc, "keys");
	if (!json_is_array(keys)) {
		json_decref(doc);
		return TC_EPROTO;
	}
	if (json_array_size(keys) > GW_JWKS_KEYS_MAX) {
		json_decref(doc);
		return TC_ETOOBIG;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		json_decref(doc);
		return TC_ENOMEM;
	}
	atomic_init(&ks->refs, 1);
	for (size_t i = 0; i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		const char *kty = str_member(k, "kty");
		const char *use = str_member(k, "use");
		const char *kid = str_member(k, "kid");
		const char *alg = str_member(k, "alg");
		struct jwk *j = &ks->keys[ks->n];

		if (!json_is_object(k) || kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
			continue;
		if ((kid != NULL && strlen(kid) >= sizeof(j->kid)) ||
		    (alg != NULL && strlen(alg) >= sizeof(j->alg)))
			continue;
		if (strcmp(kty, "RSA") == 0) {
			j->type = KEY_RSA;
			j->pkey = rsa_key(k);
		} else if (strcmp(kty, "EC") == 0) {
			j->type = KEY_EC;
			j->pkey = ec_key(k);
		}
		if (j->pkey == NULL)
			continue;
		snprintf(j->kid, sizeof(j->kid), "%s", kid != NULL ? kid : "");
		snprintf(j->alg, sizeof(j->alg), "%s", alg != NULL ? alg : "");
		ks->n++;
	}
	json_decref(doc);
	*out = ks;
	return TC_OK;
}

/* Decodes one JSON part of a token. */
static json_t *
part_json(const char *s, size_t len)
{
	uint8_t buf[JWT_PART_MAX];
	size_t n = 0;
	if (len == 0 || gw_b64url_decode(s, len, buf, sizeof(buf), &n) != TC_OK)
		return NULL;
	json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static bool
verify_sig(const struct jwk *k, const char *data, size_t dlen, const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *der = NULL;
	int derlen = 0;
	bool ok = false;

	if (md == NULL)
		return false;
	if (k->type == KEY_EC) {
		if (slen != 64)
			goto out;
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
		if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
			BN_free(r);
			BN_free(s);
			ECDSA_SIG_free(es);
			goto out;
		}
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (derlen <= 0)
			goto out;
		sig = der;
		slen = (size_t)derlen;
	} else if (slen != (size_t)EVP_PKEY_get_size(k->pkey)) {
		goto out;
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(md, sig, slen, (const unsigned char *)data, dlen) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return ok;
}

static bool
num_claim(json_t *c, const char *k, int64_t *v)
{
	json_t *j = json_object_get(c, k);
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return true;
	}
	if (json_is_real(j) && json_real_value(j) > -9e15 && json_real_value(j) < 9e15) {
		*v = (int64_t)json_real_value(j);
		return true;
	}
	return false;
}

static bool
aud_ok(json_t *c, const char *want)
{
	json_t *aud = json_object_get(c, "aud");
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (json_is_array(aud)) {
		for (size_t i = 0; i < json_array_size(aud); i++) {
			json_t *a = json_array_get(aud, i);
			if (json_is_string(a) && strcmp(json_string_value(a), want) == 0)
				return true;
		}
		return false;
	}
	/* Cognito access tokens carry the app client in client_id, not aud. */
	const char *cid = str_member(c, "client_id");
	return aud == NULL && cid != NULL && strcmp(cid, want) == 0;
}

static void
identity_from_claims(json_t *c, const char *sub, struct gw_identity *out)
{
	static const char *const name_claims[] = {
	    "name", "preferred_username", "email", "username", "cognito:username"};
	char candidate[GW_USER_MAX + 8];

	memset(out, 0, sizeof(*out));
	out->provider = GW_PROVIDER_JWT;
	snprintf(candidate, sizeof(candidate), "j-%s", sub);
	if (strlen(sub) <= GW_USER_MAX - 2 && gw_id_valid(candidate, GW_USER_MAX)) {
		strcpy(out->user, candidate);
	} else {
		uint8_t h[32];
		SHA256((const unsigned char *)sub, strlen(sub), h);
		strcpy(out->user, "j-");
		for (size_t i = 0; i < 20; i++)
			snprintf(out->user + 2 + 2 * i, 3, "%02x", h[i]);
	}
	for (size_t i = 0; i < sizeof(name_claims) / sizeof(name_claims[0]); i++) {
		json_t *v = json_object_get(c, name_claims[i]);
		if (json_is_string(v) &&
		    gw_name_clean(json_string_value(v), json_string_length(v), out->name) == TC_OK)
			return;
	}
	strcpy(out->name, out->user);
}

enum tc_err
gw_jwt_verify(const struct gw_jwks *ks, const char *token, size_t len,
    const struct gw_jwt_policy *pol, int64_t now, struct gw_identity *out, enum gw_auth_fail *why)
{
	enum gw_auth_fail w = GW_AUTH_MALFORMED;
	json_t *hdr = NULL, *c = NULL;
	uint8_t sig[JWT_SIG_MAX];
	size_t slen = 0;
	const struct jwk *key = NULL;
	int64_t exp = 0, nbf = 0;

	if (token == NULL || len == 0) {
		w = GW_AUTH_MISSING;
		goto fail;
	}
	if (len > GW_TOKEN_MAX || ks == NULL)
		goto fail;
	const char *d1 = memchr(token, '.', len);
	const char *d2 = d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		goto fail;
	size_t slen_txt = len - (size_t)(d2 + 1 - token);
	if ((hdr = part_json(token, (size_t)(d1 - token))) == NULL)
		goto fail;
	const char *alg = str_member(hdr, "alg");
	const char *kid = str_member(hdr, "kid");
	if (alg == NULL || json_object_get(hdr, "crit") != NULL)
		goto fail;
	enum key_type want;
	if (strcmp(alg, "RS256") == 0) {
		want = KEY_RSA;
	} else if (strcmp(alg, "ES256") == 0) {
		want = KEY_EC;
	} else {
		w = GW_AUTH_ALG;
		goto fail;
	}
	size_t candidates = 0;
	for (size_t i = 0; i < ks->n; i++) {
		const struct jwk *k = &ks->keys[i];
		if (k->type != want || (k->alg[0] != '\0' && strcmp(k->alg, alg) != 0))
			continue;
		if (kid != NULL ? strcmp(k->kid, kid) == 0 : true) {
			key = k;
			candidates++;
		}
	}
	if (key == NULL || (kid == NULL && candidates != 1)) {
		w = GW_AUTH_KEY;
		goto fail;
	}
	if (slen_txt == 0 || gw_b64url_decode(d2 + 1, slen_txt, sig, sizeof(sig), &slen) != TC_OK)
		goto fail;
	if (!verify_sig(key, token, (size_t)(d2 - token), sig, slen)) {
		w = GW_AUTH_SIGNATURE;
		goto fail;
	}
	if ((c = part_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto fail;
	const char *sub = str_member(c, "sub");
	if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255 || !num_claim(c, "exp", &exp))
		goto fail;
	if (json_object_get(c, "nbf") != NULL && !num_claim(c, "nbf", &nbf))
		goto fail;
	int64_t leeway = pol != NULL ? (int64_t)pol->leeway_s : 0;
	if (now >= exp + leeway) {
		w = GW_AUTH_EXPIRED;
		goto fail;
	}
	if (nbf != 0 && now + leeway < nbf) {
		w = GW_AUTH_NOT_YET_VALID;
		goto fail;
	}
	if (pol != NULL && pol->issuer != NULL) {
		const char *iss = str_member(c, "iss");
		if (iss == NULL || strcmp(iss, pol->issuer) != 0) {
			w = GW_AUTH_ISSUER;
			goto fail;
		}
	}
	if (pol != NULL && pol->audience != NULL && !aud_ok(c, pol->audience)) {
		w = GW_AUTH_AUDIENCE;
		goto fail;
	}
	identity_from_claims(c, sub, out);
	out->exp = exp;
	json_decref(hdr);
	json_decref(c);
	if (why != NULL)
		*why = GW_AUTH_OK;
	return TC_OK;
fail:
	json_decref(hdr);
	json_decref(c);
	if (why != NULL)
		*why = w;
	return TC_EAUTH;
}

/* ---- fetching a JWKS URL ---------------------------------------------------- */

struct fetch_buf {
	char *data;
	size_t len;
	bool over;
};

static size_t
fetch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > GW_JWKS_MAX) {
		b->over = true;
		return 0;
	}
	char *p = realloc(b->data, b->len + n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

enum tc_err
gw__jwks_fetch(const char *url, char **out, size_t *len)
{
	struct fetch_buf b = {NULL, 0, false};
	long status = 0;
	CURL *h = curl_easy_init();
	enum tc_err rv = TC_ECONNREFUSED;

	if (h == NULL)
		return TC_ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (b.over)
		rv = TC_ETOOBIG;
	else if (cc == CURLE_OK && status == 200 && b.data != NULL)
		rv = TC_OK;
	else
		tc_log(TC_LOG_WARN, "gateway", "JWKS fetch %s: %s (HTTP %ld)", url,
		    curl_easy_strerror(cc), status);
	if (rv != TC_OK) {
		free(b.data);
		return rv;
	}
	*out = b.data;
	*len = b.len;
	return TC_OK;
}
