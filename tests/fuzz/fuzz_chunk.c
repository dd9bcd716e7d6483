/*
 * fuzz_chunk.c - the stored event chunk decoder (store/src/chunk.c) on
 * arbitrary bytes: it must refuse or decode, never crash, read out of
 * bounds or allocate past its caps.  A decoded chunk must re-encode to a
 * chunk that decodes to the same events.  Each input is tried twice: as a
 * whole chunk, and as the packed body inside a well-formed header and
 * zstd frame, so the body parser is reached past the checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_chunk(const uint8_t *data, size_t size);

/* wrap frames data as a chunk body: header (format in store/src/chunk.c)
 * and a zstd frame with content size and checksum. */
static void
try_body(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return;
	size_t bound = ZSTD_compressBound(size);
	uint8_t *buf = malloc(16 + bound);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (buf == NULL || c == NULL)
		abort();
	memcpy(buf, "TQC1\x01\0\0\0\0\0\0\0", 12);
	for (int i = 0; i < 4; i++)
		buf[12 + i] = (uint8_t)(size >> (8 * i));
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	size_t z = ZSTD_compress2(c, buf + 16, bound, size > 0 ? data : (const uint8_t *)"", size);
	if (ZSTD_isError(z))
		abort();
	try_chunk(buf, 16 + z);
	ZSTD_freeCCtx(c);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_chunk(data, size);
	try_body(data, size);
	return 0;
}

static void
try_chunk(const uint8_t *data, size_t size)
{
	struct st_event *evs = NULL, *evs2 = NULL;
	uint8_t *mem = NULL, *mem2 = NULL, *buf = NULL;
	size_t n = 0, n2 = 0, len = 0;
	char why[128];

	if (st_chunk_decode(data, size, &evs, &n, &mem, why, sizeof(why)) != TC_OK)
		return;
	if (n == 0 || evs == NULL)
		abort();
	if (st_chunk_encode(evs, n, &buf, &len) != TC_OK)
		abort();
	if (st_chunk_decode(buf, len, &evs2, &n2, &mem2, why, sizeof(why)) != TC_OK || n2 != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (evs[i].seq != evs2[i].seq || evs[i].ts_ms != evs2[i].ts_ms ||
		    evs[i].type != evs2[i].type || evs[i].len != evs2[i].len ||
		    (evs[i].len > 0 && memcmp(evs[i].payload, evs2[i].payload, evs[i].len) != 0))
			abort();
	}
	free(evs);
	free(mem);
	free(evs2);
	free(mem2);
	free(buf);
}
