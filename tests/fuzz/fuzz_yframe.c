/*
 * fuzz_yframe.c - a client frame through every room-side parser in turn
 * (actors/src/yproto.c): the frame split, then the state vector, update or
 * awareness parser its type selects.  Nothing may crash; a frame that
 * parses must re-encode to bytes that parse to the same frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yp_frame f, g;
	struct yp_buf b;
	size_t n;

	if (yp_frame_parse(data, size, &f) != TC_OK)
		return 0;
	if (f.data < data || f.len > size || f.data + f.len > data + size)
		abort();
	yp_buf_init(&b, size + 32);
	if (f.type == YP_FRAME_SYNC) {
		if (f.sub == YP_SYNC_STEP1) {
			(void)yp_state_vector_check(f.data, f.len, &n);
		} else {
			struct yp_update_info info;
			if (yp_update_parse(f.data, f.len, &info) == TC_OK)
				yp_update_info_fini(&info);
		}
		if (yp_frame_sync_encode(&b, (unsigned)f.sub, f.data, f.len) != TC_OK)
			abort();
	} else if (f.type == YP_FRAME_AWARENESS) {
		struct yp_awareness_entry *e = malloc(sizeof(*e) * 64);
		if (e != NULL && yp_awareness_parse(f.data, f.len, e, 64, &n) == TC_OK) {
			for (size_t i = 0; i < n; i++)
				(void)yp_awareness_is_removal(&e[i]);
		}
		free(e);
		if (yp_frame_awareness_encode(&b, f.data, f.len) != TC_OK)
			abort();
	} else if (f.type <= UINT32_MAX) {
		if (yp_frame_app_encode(&b, (unsigned)f.type, f.data, f.len) != TC_OK)
			abort();
	} else {
		yp_buf_fini(&b);
		return 0;
	}
	if (yp_frame_parse(b.data, b.len, &g) != TC_OK || g.type != f.type || g.sub != f.sub ||
	    g.len != f.len || (f.len > 0 && memcmp(g.data, f.data, f.len) != 0))
		abort();
	yp_buf_fini(&b);
	return 0;
}
