/*
 * fuzz_gw_token.c - the guest token decoder and base64url on arbitrary
 * bytes: refuse or accept, never crash or read out of bounds.  An accepted
 * token's identity must sign and verify again to the same identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[GW_GUEST_KEY_LEN] = "fuzzing key fuzzing key fuzzin";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_identity id, again;
	enum gw_auth_fail why;
	uint8_t out[4096];
	size_t n;
	char tok[4096];

	(void)gw_b64url_decode((const char *)data, size, out, sizeof(out), &n);
	/* forged input never passes: only the signed corpus entries can */
	if (gw_guest_verify(key, (const char *)data, size, 0, &id, &why) != TC_OK)
		return 0;
	if (gw_guest_sign(key, &id, tok, sizeof(tok)) != TC_OK ||
	    gw_guest_verify(key, tok, strlen(tok), 0, &again, &why) != TC_OK ||
	    strcmp(id.user, again.user) != 0 || strcmp(id.name, again.name) != 0 ||
	    strcmp(id.room, again.room) != 0 || id.exp != again.exp)
		abort();
	return 0;
}
