/*
 * test_token.c - guest tokens, invites, base64url and names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/auth.h"
#include "xt.h"

static const uint8_t key[GW_GUEST_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other[GW_GUEST_KEY_LEN] = "fedcba9876543210fedcba987654321";

static struct gw_identity
ann(void)
{
	struct gw_identity id;
	memset(&id, 0, sizeof(id));
	strcpy(id.user, "g-ann");
	strcpy(id.name, "Ann Émile");
	id.exp = 2000;
	return id;
}

Test(gateway_token, roundtrip_keeps_identity)
{
	struct gw_identity id = ann(), got;
	char tok[1024];
	enum gw_auth_fail why;

	strcpy(id.room, "room1");
	strcpy(id.role, "observer");
	XT_OK(gw_guest_sign(key, &id, tok, sizeof(tok)));
	cr_assert(strncmp(tok, "g1.", 3) == 0);
	XT_OK(gw_guest_verify(key, tok, strlen(tok), 1000, &got, &why));
	cr_assert_eq(why, GW_AUTH_OK);
	cr_assert_str_eq(got.user, "g-ann");
	cr_assert_str_eq(got.name, "Ann Émile");
	cr_assert_str_eq(got.room, "room1");
	cr_assert_str_eq(got.role, "observer");
	cr_assert_eq(got.exp, 2000);
	cr_assert_eq(got.provider, GW_PROVIDER_GUEST);
}

Test(gateway_token, expired_refused)
{
	struct gw_identity id = ann(), got;
	char tok[1024];
	enum gw_auth_fail why;
	XT_OK(gw_guest_sign(key, &id, tok, sizeof(tok)));
	XT_ERR(gw_guest_verify(key, tok, strlen(tok), 2000, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_EXPIRED);
}

Test(gateway_token, other_key_is_forged)
{
	struct gw_identity id = ann(), got;
	char tok[1024];
	enum gw_auth_fail why;
	XT_OK(gw_guest_sign(other, &id, tok, sizeof(tok)));
	XT_ERR(gw_guest_verify(key, tok, strlen(tok), 1000, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_SIGNATURE);
}

Test(gateway_token, tampered_claims_refused)
{
	struct gw_identity id = ann(), admin = ann(), got;
	char tok[1024], tok2[1024], mixed[2048];
	enum gw_auth_fail why;
	strcpy(admin.user, "g-admin");
	XT_OK(gw_guest_sign(key, &id, tok, sizeof(tok)));
	XT_OK(gw_guest_sign(other, &admin, tok2, sizeof(tok2)));
	/* admin's claims with ann's signature */
	const char *sig = strrchr(tok, '.');
	const char *dot2 = strrchr(tok2, '.');
	snprintf(mixed, sizeof(mixed), "%.*s%s", (int)(dot2 - tok2), tok2, sig);
	XT_ERR(gw_guest_verify(key, mixed, strlen(mixed), 1000, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_SIGNATURE);
	/* a flipped bit anywhere */
	for (size_t i = 0; i < strlen(tok); i++) {
		char t[1024];
		strcpy(t, tok);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		cr_assert_eq(gw_guest_verify(key, t, strlen(t), 1000, &got, NULL), TC_EAUTH,
		    "flip at %zu accepted", i);
	}
}

Test(gateway_token, garbage_is_malformed)
{
	static const char *const bad[] = {
	    "g1.", "g1..", "g1.abc", "g1.abc.def", "eyJ.x.y", "x", "g1.!!!.AAAA"};
	struct gw_identity got;
	enum gw_auth_fail why;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XT_ERR(gw_guest_verify(key, bad[i], strlen(bad[i]), 1000, &got, &why), TC_EAUTH);
		cr_assert(why == GW_AUTH_MALFORMED, "%s: %s", bad[i], gw_auth_fail_name(why));
	}
	XT_ERR(gw_guest_verify(key, "", 0, 1000, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_MISSING);
}

Test(gateway_token, bad_identity_not_signed)
{
	struct gw_identity id = ann();
	char tok[1024];
	strcpy(id.user, "bad user");
	XT_ERR(gw_guest_sign(key, &id, tok, sizeof(tok)), TC_EINVAL);
	id = ann();
	strcpy(id.room, "r1");
	strcpy(id.role, "admin");
	XT_ERR(gw_guest_sign(key, &id, tok, sizeof(tok)), TC_EINVAL);
	id = ann();
	XT_ERR(gw_guest_sign(key, &id, tok, 20), TC_ETOOBIG);
}

Test(gateway_token, b64url_roundtrip_and_strict)
{
	uint8_t in[64], out[64];
	char enc[128];
	size_t n;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(in); len++) {
		XT_OK(gw_b64url_encode(in, len, enc, sizeof(enc)));
		XT_OK(gw_b64url_decode(enc, strlen(enc), out, sizeof(out), &n));
		cr_assert_eq(n, len);
		cr_assert(memcmp(in, out, len) == 0);
	}
	XT_ERR(gw_b64url_decode("A", 1, out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw_b64url_decode("AB==", 4, out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw_b64url_decode("AB+/", 4, out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw_b64url_decode("AB", 2, out, sizeof(out), &n), TC_EPROTO); /* non-zero tail */
	XT_ERR(gw_b64url_decode("AAAAAAAA", 8, out, 3, &n), TC_ETOOBIG);
	XT_ERR(gw_b64url_encode(in, 10, enc, 10), TC_ETOOBIG);
}

Test(gateway_token, invite_is_per_room_and_key)
{
	struct gw_auth_config cfg = {.guest_secret = "one"};
	struct gw_auth_config cfg2 = {.guest_secret = "two"};
	struct gw_auth *a, *b;
	char inv[GW_INVITE_LEN + 1], inv2[GW_INVITE_LEN + 1];

	XT_OK(gw_auth_new(&cfg, NULL, &a, NULL, 0));
	XT_OK(gw_auth_new(&cfg2, NULL, &b, NULL, 0));
	XT_OK(gw_auth_invite(a, "room1", inv));
	cr_assert_eq(strlen(inv), GW_INVITE_LEN);
	cr_assert(gw_auth_invite_ok(a, "room1", inv));
	cr_assert_not(gw_auth_invite_ok(a, "room2", inv));
	cr_assert_not(gw_auth_invite_ok(b, "room1", inv));
	XT_OK(gw_auth_invite(a, "room2", inv2));
	cr_assert_str_neq(inv, inv2);
	cr_assert_not(gw_auth_invite_ok(a, "room1", NULL));
	cr_assert_not(gw_auth_invite_ok(a, "room1", ""));
	gw_auth_free(a);
	gw_auth_free(b);
}

Test(gateway_token, service_issues_and_verifies)
{
	struct gw_auth_config cfg = {.guest_secret = "s3cret", .guest_ttl_s = 100};
	struct gw_auth *a;
	struct gw_identity id = ann(), got;
	char tok[1024];
	enum gw_auth_fail why;

	XT_OK(gw_auth_new(&cfg, NULL, &a, NULL, 0));
	cr_assert(gw_auth_guest_enabled(a));
	XT_OK(gw_auth_issue(a, &id, 5000, tok, sizeof(tok)));
	XT_OK(gw_auth_verify(a, tok, strlen(tok), 5099, &got, &why));
	cr_assert_eq(got.exp, 5100);
	XT_ERR(gw_auth_verify(a, tok, strlen(tok), 5100, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_EXPIRED);
	/* a JWT-shaped token without a JWKS: the provider is off */
	XT_ERR(gw_auth_verify(a, "a.b.c", 5, 5000, &got, &why), TC_EAUTH);
	cr_assert_eq(why, GW_AUTH_DISABLED);
	gw_auth_free(a);
}

Test(gateway_token, key_file_created_once_and_reused)
{
	char *dir = xt_tmpdir("gw-key");
	struct gw_auth_config cfg = {0};
	struct gw_auth *a, *b;
	struct gw_identity id = ann(), got;
	char tok[1024], path[512];

	XT_OK(gw_auth_new(&cfg, dir, &a, NULL, 0));
	XT_OK(gw_auth_issue(a, &id, 1000, tok, sizeof(tok)));
	gw_auth_free(a);
	snprintf(path, sizeof(path), "%s/guest.key", dir);
	struct stat st;
	cr_assert(stat(path, &st) == 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	XT_OK(gw_auth_new(&cfg, dir, &b, NULL, 0)); /* a restart: same key */
	XT_OK(gw_auth_verify(b, tok, strlen(tok), 1001, &got, NULL));
	gw_auth_free(b);
	xt_rmtree(dir);
	free(dir);
}

Test(gateway_token, names_cleaned)
{
	char out[GW_NAME_MAX + 1];
	XT_OK(gw_name_clean("  Ann  ", 7, out));
	cr_assert_str_eq(out, "Ann");
	XT_ERR(gw_name_clean("   ", 3, out), TC_EINVAL);
	XT_ERR(gw_name_clean("a\nb", 3, out), TC_EINVAL);
	XT_ERR(gw_name_clean("\xff\xfe", 2, out), TC_EINVAL);
	XT_ERR(gw_name_clean("\xed\xa0\x80", 3, out), TC_EINVAL); /* a surrogate */
	char long_name[100];
	memset(long_name, 'x', sizeof(long_name));
	XT_ERR(gw_name_clean(long_name, sizeof(long_name), out), TC_EINVAL);
	XT_OK(gw_name_clean("李雷", strlen("李雷"), out));
	cr_assert(gw_id_valid("g-abc_1.2:3", GW_USER_MAX));
	cr_assert_not(gw_id_valid("a/b", GW_USER_MAX));
	cr_assert_not(gw_id_valid("", GW_USER_MAX));
}
