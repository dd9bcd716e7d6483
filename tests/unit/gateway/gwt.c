/*
 * gwt.c - keys, JWKS and JWTs for the gateway tests (see gwt.h).
 */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "gateway/auth.h"
#include "gwt.h"

EVP_PKEY *
gwt_key_new(enum gwt_kty kty)
{
	return kty == GWT_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

EVP_PKEY *
gwt_key_cached(enum gwt_kty kty, const char *name)
{
	char path[1024], tmp[1100];
	const char *root = getenv("XT_BUILD_ROOT");
	snprintf(path, sizeof(path), "%s/gwt-%s.pem", root != NULL ? root : "/tmp", name);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (k != NULL && EVP_PKEY_is_a(k, kty == GWT_RSA ? "RSA" : "EC"))
			return k;
		EVP_PKEY_free(k);
	}
	EVP_PKEY *k = gwt_key_new(kty);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if ((f = fopen(tmp, "w")) != NULL) {
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		rename(tmp, path);
	}
	return k;
}

static char *
b64(const uint8_t *p, size_t n)
{
	size_t cap = n * 2 + 8;
	char *out = malloc(cap);
	if (out != NULL && gw_b64url_encode(p, n, out, cap) != TC_OK) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
bn_b64(const BIGNUM *bn, int pad)
{
	uint8_t buf[1024];
	int n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	return n > 0 ? b64(buf, (size_t)n) : NULL;
}

char *
gwt_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_object();
		if (EVP_PKEY_is_a(keys[i], "RSA")) {
			BIGNUM *nn = NULL, *e = NULL;
			EVP_PKEY_get_bn_param(keys[i], OSSL_PKEY_PARAM_RSA_N, &nn);
			EVP_PKEY_get_bn_param(keys[i], OSSL_PKEY_PARAM_RSA_E, &e);
			char *sn = bn_b64(nn, 0), *se = bn_b64(e, 0);
			json_object_set_new(k, "kty", json_string("RSA"));
			json_object_set_new(k, "n", json_string(sn));
			json_object_set_new(k, "e", json_string(se));
			json_object_set_new(k, "alg", json_string("RS256"));
			free(sn);
			free(se);
			BN_free(nn);
			BN_free(e);
		} else {
			BIGNUM *x = NULL, *y = NULL;
			EVP_PKEY_get_bn_param(keys[i], OSSL_PKEY_PARAM_EC_PUB_X, &x);
			EVP_PKEY_get_bn_param(keys[i], OSSL_PKEY_PARAM_EC_PUB_Y, &y);
			char *sx = bn_b64(x, 32), *sy = bn_b64(y, 32);
			json_object_set_new(k, "kty", json_string("EC"));
			json_object_set_new(k, "crv", json_string("P-256"));
			json_object_set_new(k, "x", json_string(sx));
			json_object_set_new(k, "y", json_string(sy));
			free(sx);
			free(sy);
			BN_free(x);
			BN_free(y);
		}
		json_object_set_new(k, "use", json_string("sig"));
		if (kids != NULL && kids[i] != NULL)
			json_object_set_new(k, "kid", json_string(kids[i]));
		json_array_append_new(arr, k);
	}
	json_t *doc = json_pack("{s:o}", "keys", arr);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

char *
gwt_jwt(
    EVP_PKEY *key, const char *alg, const char *kid, const char *claims, const char *hmac_secret)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", alg, "typ", "JWT");
	if (kid != NULL)
		json_object_set_new(hdr, "kid", json_string(kid));
	char *htext = json_dumps(hdr, JSON_COMPACT);
	json_decref(hdr);
	char *h64 = b64((const uint8_t *)htext, strlen(htext));
	char *c64 = b64((const uint8_t *)claims, strlen(claims));
	free(htext);
	size_t slen = strlen(h64) + strlen(c64) + 2;
	char *signing = malloc(slen);
	snprintf(signing, slen, "%s.%s", h64, c64);
	free(h64);
	free(c64);

	uint8_t sig[1024];
	size_t siglen = 0;
	if (strcmp(alg, "HS256") == 0) {
		unsigned int n = 0;
		HMAC(EVP_sha256(), hmac_secret, (int)strlen(hmac_secret), (const uint8_t *)signing,
		    strlen(signing), sig, &n);
		siglen = n;
	} else if (strcmp(alg, "none") != 0) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		uint8_t der[256];
		size_t dlen = sizeof(der);
		siglen = sizeof(sig);
		uint8_t *dst = EVP_PKEY_is_a(key, "EC") ? der : sig;
		size_t *dstlen = EVP_PKEY_is_a(key, "EC") ? &dlen : &siglen;
		EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
		EVP_DigestSign(md, dst, dstlen, (const uint8_t *)signing, strlen(signing));
		EVP_MD_CTX_free(md);
		if (EVP_PKEY_is_a(key, "EC")) {
			const uint8_t *p = der;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
			BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
			ECDSA_SIG_free(es);
			siglen = 64;
		}
	}
	char *s64 = siglen > 0 ? b64(sig, siglen) : strdup("");
	size_t tlen = strlen(signing) + strlen(s64) + 2;
	char *token = malloc(tlen);
	snprintf(token, tlen, "%s.%s", signing, s64);
	free(signing);
	free(s64);
	return token;
}
