/*
 * fuzz_awareness.c - the y-protocols awareness update parser
 * (actors/src/yproto.c) on arbitrary bytes.  An accepted update must
 * re-encode to one that parses to the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yp_awareness_entry a[MAX_ENTRIES], b[MAX_ENTRIES];
	size_t na, nb;
	struct yp_buf buf;

	if (yp_awareness_parse(data, size, a, MAX_ENTRIES, &na) != TC_OK)
		return 0;
	yp_buf_init(&buf, size + 16);
	if (yp_awareness_encode(&buf, a, na) != TC_OK)
		abort();
	if (yp_awareness_parse(buf.data, buf.len, b, MAX_ENTRIES, &nb) != TC_OK || nb != na)
		abort();
	for (size_t i = 0; i < na; i++) {
		if (a[i].client != b[i].client || a[i].clock != b[i].clock ||
		    a[i].state_len != b[i].state_len ||
		    memcmp(a[i].state, b[i].state, a[i].state_len) != 0 ||
		    yp_awareness_is_removal(&a[i]) != yp_awareness_is_removal(&b[i]))
			abort();
	}
	yp_buf_fini(&buf);
	return 0;
}
