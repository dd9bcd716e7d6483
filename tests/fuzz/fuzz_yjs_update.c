/*
 * fuzz_yjs_update.c - the Yjs update (v1) structure parser
 * (actors/src/yproto.c) on arbitrary bytes: it must accept or refuse,
 * never crash, read out of bounds or allocate past its caps.  What it
 * accepts must be self-consistent: clients sorted and distinct, totals
 * equal to the per-client sums.
 */
#include <stdint.h>
#include <stdlib.h>

#include "actors/yproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yp_update_info info;
	uint64_t ins = 0, del = 0, structs = 0;

	if (yp_update_parse(data, size, &info) != TC_OK) {
		if (info.clients != NULL || info.nclients != 0)
			abort();
		return 0;
	}
	if (info.nclients > YP_MAX_CLIENTS)
		abort();
	for (size_t i = 0; i < info.nclients; i++) {
		const struct yp_client_stat *c = &info.clients[i];
		if (i > 0 && info.clients[i - 1].client >= c->client)
			abort();
		if (c->gc + c->skip > c->structs || c->end > YP_UINT_MAX)
			abort();
		ins += c->inserted;
		del += c->deleted;
		structs += c->structs;
	}
	if (ins != info.inserted || del != info.deleted || structs != info.structs)
		abort();
	yp_update_info_fini(&info);
	return 0;
}
