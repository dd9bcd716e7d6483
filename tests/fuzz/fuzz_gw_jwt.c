/*
 * fuzz_gw_jwt.c - JWKS documents and JWTs on arbitrary bytes.  The first
 * byte picks the decoder: even, a JWKS document; odd, a token checked
 * against a fixed key set (a P-256 key made at start).  Nothing forged may
 * verify, and nothing may crash.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_jwks *ks;

static void
make_keyset(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIGNUM *x = NULL, *y = NULL;
	uint8_t bx[32], by[32];
	char sx[64], sy[64], doc[512];
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	BN_bn2binpad(x, bx, 32);
	BN_bn2binpad(y, by, 32);
	gw_b64url_encode(bx, 32, sx, sizeof(sx));
	gw_b64url_encode(by, 32, sy, sizeof(sy));
	snprintf(doc, sizeof(doc),
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k\",\"x\":\"%s\",\"y\":\"%s\"}]"
	    "}",
	    sx, sy);
	if (gw_jwks_parse(doc, strlen(doc), &ks) != TC_OK || gw_jwks_count(ks) != 1)
		abort();
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ks == NULL)
		make_keyset();
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		struct gw_jwks *k = NULL;
		if (gw_jwks_parse((const char *)data + 1, size - 1, &k) == TC_OK)
			gw_jwks_unref(k);
		return 0;
	}
	struct gw_jwt_policy pol = {"iss", "aud", 60};
	struct gw_identity id;
	enum gw_auth_fail why;
	/* the key was made just now: no input can carry a valid signature */
	if (gw_jwt_verify(ks, (const char *)data + 1, size - 1, &pol, 1700000000, &id, &why) ==
	    TC_OK)
		abort();
	return 0;
}
