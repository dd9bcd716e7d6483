/*
 * tests/unit/gateway/gwt.h - gateway test support: keys made at run time
 * with OpenSSL, JWKS documents and signed JWTs.  Nothing is downloaded and
 * no key material is stored in the tree.
 */
#ifndef GWT_H
#define GWT_H

#include <openssl/evp.h>
#include <stddef.h>

enum gwt_kty {
	GWT_RSA = 1,
	GWT_EC = 2
};

/* gwt_key_new makes an RSA-2048 or EC P-256 key pair; EVP_PKEY_free it. */
EVP_PKEY *gwt_key_new(enum gwt_kty kty);

/*
 * gwt_key_cached is gwt_key_new, kept between runs in the build directory
 * ($XT_BUILD_ROOT/gwt-<name>.pem, written atomically) because RSA key
 * generation is slow under valgrind.  The keys are made on this machine;
 * nothing is downloaded or committed.
 */
EVP_PKEY *gwt_key_cached(enum gwt_kty kty, const char *name);

/* gwt_jwks renders the public halves of n keys with their kids as a JWKS
 * document; the caller frees it. */
char *gwt_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t n);

/*
 * gwt_jwt signs claims (a JSON text) with key under header
 * {"alg": alg, "kid": kid (omitted when NULL), "typ": "JWT"}.  alg "RS256"
 * or "ES256" sign with key; "none" gives an empty signature; "HS256" uses
 * hmac_secret.  The caller frees the token.
 */
char *gwt_jwt(
    EVP_PKEY *key, const char *alg, const char *kid, const char *claims, const char *hmac_secret);

#endif /* GWT_H */
