/*
 * test_jwt.c - JWT verification against JWKS with keys generated at run
 * time: RS256 and ES256 accepted; expired, not yet valid, wrong issuer,
 * wrong audience, forged, tampered, alg=none, HS256 and unknown keys
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/auth.h"
#include "gwt.h"
#include "xt.h"

#define NOW 1700000000

static EVP_PKEY *rsa, *ec, *rsa_other;
static struct gw_jwks *ks;
static const struct gw_jwt_policy pol = {"https://issuer.example", "tandem-app", 60};

static void
setup(void)
{
	rsa = gwt_key_cached(GWT_RSA, "rsa1");
	ec = gwt_key_cached(GWT_EC, "ec1");
	EVP_PKEY *keys[2] = {rsa, ec};
	const char *kids[2] = {"r1", "e1"};
	char *doc = gwt_jwks(keys, kids, 2);
	XT_OK(gw_jwks_parse(doc, strlen(doc), &ks));
	free(doc);
	cr_assert_eq(gw_jwks_count(ks), 2);
}

static void
teardown(void)
{
	gw_jwks_unref(ks);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa_other);
}

TestSuite(gateway_jwt, .init = setup, .fini = teardown);

static char *
claims(long exp, const char *iss, const char *aud, const char *extra)
{
	char *c = malloc(1024);
	snprintf(c, 1024,
	    "{\"sub\":\"user_2abc\",\"name\":\"Bea\",\"exp\":%ld,\"iss\":\"%s\",\"aud\":\"%s\"%s%"
	    "s}",
	    exp, iss, aud, extra[0] ? "," : "", extra);
	return c;
}

static enum gw_auth_fail
check(EVP_PKEY *key, const char *alg, const char *kid, const char *c, struct gw_identity *id)
{
	char *tok = gwt_jwt(key, alg, kid, c, "secret");
	enum gw_auth_fail why = GW_AUTH_OK;
	struct gw_identity dummy;
	enum tc_err rv = gw_jwt_verify(ks, tok, strlen(tok), &pol, NOW, id ? id : &dummy, &why);
	cr_assert_eq(rv == TC_OK, why == GW_AUTH_OK);
	free(tok);
	return why;
}

Test(gateway_jwt, rs256_accepted)
{
	struct gw_identity id;
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	cr_assert_eq(check(rsa, "RS256", "r1", c, &id), GW_AUTH_OK);
	cr_assert_str_eq(id.user, "j-user_2abc");
	cr_assert_str_eq(id.name, "Bea");
	cr_assert_eq(id.provider, GW_PROVIDER_JWT);
	cr_assert_str_eq(id.room, "");
	free(c);
}

Test(gateway_jwt, es256_accepted)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	cr_assert_eq(check(ec, "ES256", "e1", c, NULL), GW_AUTH_OK);
	free(c);
}

Test(gateway_jwt, audience_in_array_accepted)
{
	char c[512];
	snprintf(c, sizeof(c),
	    "{\"sub\":\"s\",\"exp\":%d,\"iss\":\"https://"
	    "issuer.example\",\"aud\":[\"x\",\"tandem-app\"]}",
	    NOW + 60);
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_OK);
}

Test(gateway_jwt, cognito_client_id_accepted)
{
	char c[512];
	snprintf(c, sizeof(c),
	    "{\"sub\":\"s\",\"exp\":%d,\"iss\":\"https://"
	    "issuer.example\",\"client_id\":\"tandem-app\"}",
	    NOW + 60);
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_OK);
}

Test(gateway_jwt, expired_refused)
{
	char *c = claims(NOW - 61, "https://issuer.example", "tandem-app", "");
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_EXPIRED);
	free(c);
	c = claims(NOW - 30, "https://issuer.example", "tandem-app", ""); /* within leeway */
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_OK);
	free(c);
}

Test(gateway_jwt, not_yet_valid_refused)
{
	char *c = claims(NOW + 600, "https://issuer.example", "tandem-app", "\"nbf\":1700000300");
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_NOT_YET_VALID);
	free(c);
}

Test(gateway_jwt, wrong_issuer_refused)
{
	char *c = claims(NOW + 300, "https://evil.example", "tandem-app", "");
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_ISSUER);
	free(c);
}

Test(gateway_jwt, wrong_audience_refused)
{
	char *c = claims(NOW + 300, "https://issuer.example", "other-app", "");
	cr_assert_eq(check(ec, "ES256", "e1", c, NULL), GW_AUTH_AUDIENCE);
	free(c);
}

Test(gateway_jwt, forged_signature_refused)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	rsa_other = gwt_key_cached(GWT_RSA, "rsa2");
	/* signed by a key that is not in the set, claiming its kid */
	cr_assert_eq(check(rsa_other, "RS256", "r1", c, NULL), GW_AUTH_SIGNATURE);
	free(c);
}

Test(gateway_jwt, tampered_payload_refused)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	char *c2 = claims(NOW + 300, "https://issuer.example", "tandem-app", "\"admin\":true");
	char *t1 = gwt_jwt(rsa, "RS256", "r1", c, NULL),
	     *t2 = gwt_jwt(rsa, "RS256", "r1", c2, NULL);
	/* t2's header and claims with t1's signature */
	char mixed[4096];
	snprintf(
	    mixed, sizeof(mixed), "%.*s%s", (int)(strrchr(t2, '.') - t2), t2, strrchr(t1, '.'));
	struct gw_identity id;
	enum gw_auth_fail why;
	XT_ERR(gw_jwt_verify(ks, mixed, strlen(mixed), &pol, NOW, &id, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_SIGNATURE);
	free(c);
	free(c2);
	free(t1);
	free(t2);
}

Test(gateway_jwt, alg_none_refused)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	cr_assert_eq(check(NULL, "none", "r1", c, NULL), GW_AUTH_ALG);
	cr_assert_eq(check(NULL, "none", NULL, c, NULL), GW_AUTH_ALG);
	free(c);
}

Test(gateway_jwt, hs256_refused)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	cr_assert_eq(check(NULL, "HS256", "r1", c, NULL), GW_AUTH_ALG);
	free(c);
}

Test(gateway_jwt, key_type_must_match_alg)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	/* an RS256 token naming the EC key */
	cr_assert_eq(check(rsa, "RS256", "e1", c, NULL), GW_AUTH_KEY);
	cr_assert_eq(check(rsa, "RS256", "nope", c, NULL), GW_AUTH_KEY);
	free(c);
}

Test(gateway_jwt, no_kid_needs_one_candidate)
{
	char *c = claims(NOW + 300, "https://issuer.example", "tandem-app", "");
	/* one RSA key in the set: a token without kid may use it */
	cr_assert_eq(check(rsa, "RS256", NULL, c, NULL), GW_AUTH_OK);
	free(c);
}

Test(gateway_jwt, missing_claims_refused)
{
	char c[256];
	snprintf(c, sizeof(c),
	    "{\"sub\":\"s\",\"iss\":\"https://issuer.example\",\"aud\":\"tandem-app\"}");
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_MALFORMED);
	snprintf(c, sizeof(c),
	    "{\"exp\":%d,\"iss\":\"https://issuer.example\",\"aud\":\"tandem-app\"}", NOW + 10);
	cr_assert_eq(check(rsa, "RS256", "r1", c, NULL), GW_AUTH_MALFORMED);
}

Test(gateway_jwt, odd_sub_hashed_into_an_id)
{
	struct gw_identity id;
	char c[256];
	snprintf(c, sizeof(c),
	    "{\"sub\":\"auth0|12 "
	    "34\",\"exp\":%d,\"iss\":\"https://issuer.example\",\"aud\":\"tandem-app\"}",
	    NOW + 10);
	cr_assert_eq(check(rsa, "RS256", "r1", c, &id), GW_AUTH_OK);
	cr_assert(gw_id_valid(id.user, GW_USER_MAX));
	cr_assert_eq(strlen(id.user), 42);
	cr_assert_str_eq(id.name, id.user); /* no name claim */
}

Test(gateway_jwt, malformed_tokens_refused)
{
	static const char *const bad[] = {
	    "", "a", "a.b", "a.b.c.d", "..", "e30.e30.", "e30.e30.AAAA", "!!.e30.AAAA"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_identity id;
		enum gw_auth_fail why;
		XT_ERR(gw_jwt_verify(ks, bad[i], strlen(bad[i]), &pol, NOW, &id, &why), TC_EAUTH);
		cr_assert(why == GW_AUTH_MALFORMED || why == GW_AUTH_MISSING, "%s: %s", bad[i],
		    gw_auth_fail_name(why));
	}
}

Test(gateway_jwt, jwks_skips_unusable_keys)
{
	struct gw_jwks *k = NULL;
	const char *doc = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"},"
	                  "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	                  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"},"
	                  "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}";
	XT_OK(gw_jwks_parse(doc, strlen(doc), &k));
	cr_assert_eq(gw_jwks_count(k), 0);
	gw_jwks_unref(k);
	XT_ERR(gw_jwks_parse("{}", 2, &k), TC_EPROTO);
	XT_ERR(gw_jwks_parse("[", 1, &k), TC_EPROTO);
	/* a point not on the curve */
	char x[64], y[64], bad[512];
	uint8_t b[32];
	memset(b, 7, sizeof(b));
	gw_b64url_encode(b, 32, x, sizeof(x));
	gw_b64url_encode(b, 32, y, sizeof(y));
	snprintf(bad, sizeof(bad),
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", x, y);
	XT_OK(gw_jwks_parse(bad, strlen(bad), &k));
	cr_assert_eq(gw_jwks_count(k), 0);
	gw_jwks_unref(k);
}

Test(gateway_jwt, auth_service_takes_jwts_from_jwks_file)
{
	char *dir = xt_tmpdir("gw-jwks");
	char path[512];
	EVP_PKEY *keys[1] = {ec};
	const char *kids[1] = {"e1"};
	char *doc = gwt_jwks(keys, kids, 1);
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	xt_write_file(NULL, path, doc);
	free(doc);

	struct gw_auth_config cfg = {.guest_secret = "x",
	    .guest_disabled = true,
	    .jwks_file = path,
	    .issuer = "https://issuer.example",
	    .audience = "tandem-app"};
	struct gw_auth *a;
	XT_OK(gw_auth_new(&cfg, NULL, &a, NULL, 0));
	char *c = claims(time(NULL) + 300, "https://issuer.example", "tandem-app", "");
	char *tok = gwt_jwt(ec, "ES256", "e1", c, NULL);
	struct gw_identity id;
	enum gw_auth_fail why;
	XT_OK(gw_auth_verify(a, tok, strlen(tok), time(NULL), &id, &why));
	cr_assert_str_eq(id.user, "j-user_2abc");
	/* guests are off: an unbound guest token is refused, a room-bound one is not */
	char gt[1024];
	struct gw_identity g = id;
	XT_OK(gw_auth_issue(a, &g, time(NULL), gt, sizeof(gt)));
	XT_ERR(gw_auth_verify(a, gt, strlen(gt), time(NULL), &id, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_DISABLED);
	strcpy(g.room, "r1");
	strcpy(g.role, "editor");
	XT_OK(gw_auth_issue(a, &g, time(NULL), gt, sizeof(gt)));
	XT_OK(gw_auth_verify(a, gt, strlen(gt), time(NULL), &id, &why));
	free(c);
	free(tok);
	gw_auth_free(a);
	xt_rmtree(dir);
	free(dir);
}
