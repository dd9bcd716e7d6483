/*
 * chunk.c - the event chunk codec: a batch's Yjs updates, packed and
 * compressed with zstd into one stored value.
 *
 * Design notes.  A chunk is a fixed little-endian header and one zstd frame
 * (with its content size and XXH64 checksum) of the packed events:
 *
 *   0  "TQC1"      magic
 *   4  u8 version  1
 *   5  u8 flags    0 (bit 0 is reserved for a trained dictionary; unused,
 *                  see docs/decisions/ADR-0010)
 *   6  u16         0
 *   8  u32 dict_id 0
 *  12  u32 raw_len packed size, at most ST_CHUNK_RAW_MAX
 *  16  zstd frame of the packed body:
 *        u32 count (1..ST_BATCH_MAX), u64 first_seq, i64 base_ts_ms
 *        then the events, each:
 *        uvarint seq delta (0 for the first, >= 1 after)
 *        svarint (zigzag) ts delta from the previous event
 *        uvarint type (<= 65535), uvarint len (<= ST_EVENT_PAYLOAD_MAX)
 *        len payload bytes
 *
 * The decoder trusts nothing: every count and length is checked against
 * the caps and the bytes that remain before anything is allocated, the
 * frame must decompress to exactly raw_len bytes and pass its checksum,
 * and nothing may follow the frame.  Everything but the fixed header is
 * inside the checksummed frame, and the header's raw_len must match the
 * frame's own content size, so any damaged byte is caught.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "store_priv.h"

#define HDR_LEN 16
#define BODY_HDR 20
#define CHUNK_LEVEL 3

static void
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static size_t
uvarint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
put_uvarint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* get_uvarint reads one varint from [*p, end); returns -1 if malformed. */
static int
get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		uint8_t b = *(*p)++;
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

enum tc_err
st_chunk_encode(const struct st_event *evs, size_t n, uint8_t **out, size_t *outlen)
{
	size_t raw_len = BODY_HDR;
	*out = NULL;
	*outlen = 0;
	if (evs == NULL || n == 0 || n > ST_BATCH_MAX)
		return TC_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (evs[i].len > ST_EVENT_PAYLOAD_MAX ||
		    (evs[i].len > 0 && evs[i].payload == NULL) || evs[i].type == 0 ||
		    evs[i].seq == 0)
			return TC_EINVAL;
		if (i > 0 && evs[i].seq <= evs[i - 1].seq)
			return TC_EINVAL;
		uint64_t dseq = i == 0 ? 0 : evs[i].seq - evs[i - 1].seq;
		int64_t dts =
		    i == 0 ? 0 : (int64_t)((uint64_t)evs[i].ts_ms - (uint64_t)evs[i - 1].ts_ms);
		raw_len += uvarint_len(dseq) + uvarint_len(zigzag(dts)) + uvarint_len(evs[i].type) +
		           uvarint_len(evs[i].len) + evs[i].len;
		if (raw_len > ST_CHUNK_RAW_MAX)
			return TC_ETOOBIG;
	}
	uint8_t *raw = malloc(raw_len);
	size_t bound = ZSTD_compressBound(raw_len);
	uint8_t *buf = malloc(HDR_LEN + bound);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	enum tc_err rv = TC_ENOMEM;
	if (raw == NULL || buf == NULL || cctx == NULL)
		goto done;
	uint8_t *p = raw;
	put_u32(p, (uint32_t)n);
	put_u64(p + 4, evs[0].seq);
	put_u64(p + 12, (uint64_t)evs[0].ts_ms);
	p += BODY_HDR;
	for (size_t i = 0; i < n; i++) {
		uint64_t dseq = i == 0 ? 0 : evs[i].seq - evs[i - 1].seq;
		int64_t dts =
		    i == 0 ? 0 : (int64_t)((uint64_t)evs[i].ts_ms - (uint64_t)evs[i - 1].ts_ms);
		p = put_uvarint(p, dseq);
		p = put_uvarint(p, zigzag(dts));
		p = put_uvarint(p, evs[i].type);
		p = put_uvarint(p, evs[i].len);
		if (evs[i].len > 0)
			memcpy(p, evs[i].payload, evs[i].len);
		p += evs[i].len;
	}
	memcpy(buf, "TQC1", 4);
	buf[4] = 1;
	buf[5] = 0;
	buf[6] = buf[7] = 0;
	put_u32(buf + 8, 0);
	put_u32(buf + 12, (uint32_t)raw_len);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, CHUNK_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	size_t z = ZSTD_compress2(cctx, buf + HDR_LEN, bound, raw, raw_len);
	if (ZSTD_isError(z)) {
		rv = TC_EINTERNAL;
		goto done;
	}
	*out = buf;
	*outlen = HDR_LEN + z;
	buf = NULL;
	rv = TC_OK;
done:
	ZSTD_freeCCtx(cctx);
	free(raw);
	free(buf);
	return rv;
}

static enum tc_err
bad(char *why, size_t whylen, const char *what)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", what);
	return TC_ECORRUPT;
}

enum tc_err
st_chunk_decode(const uint8_t *buf, size_t len, struct st_event **evs_out, size_t *n_out,
    uint8_t **mem_out, char *why, size_t whylen)
{
	*evs_out = NULL;
	*n_out = 0;
	*mem_out = NULL;
	if (buf == NULL || len < HDR_LEN)
		return bad(why, whylen, "chunk shorter than its header");
	if (memcmp(buf, "TQC1", 4) != 0)
		return bad(why, whylen, "chunk has a bad magic number");
	if (buf[4] != 1)
		return bad(why, whylen, "chunk has an unknown format version");
	if (buf[5] != 0 || buf[6] != 0 || buf[7] != 0 || get_u32(buf + 8) != 0)
		return bad(
		    why, whylen, "chunk names a dictionary or flags this build does not know");
	uint32_t raw_len = get_u32(buf + 12);
	if (raw_len > ST_CHUNK_RAW_MAX)
		return bad(why, whylen, "chunk larger than the decompressed size cap");
	if (raw_len < BODY_HDR + 4)
		return bad(why, whylen, "chunk too small to hold an event");
	const uint8_t *z = buf + HDR_LEN;
	size_t zlen = len - HDR_LEN;
	unsigned long long csize = ZSTD_getFrameContentSize(z, zlen);
	if (csize == ZSTD_CONTENTSIZE_ERROR || csize == ZSTD_CONTENTSIZE_UNKNOWN ||
	    csize != raw_len)
		return bad(
		    why, whylen, "chunk's compressed frame is damaged or has the wrong size");
	size_t fsize = ZSTD_findFrameCompressedSize(z, zlen);
	if (ZSTD_isError(fsize) || fsize != zlen)
		return bad(
		    why, whylen, "chunk's compressed frame is truncated or followed by junk");

	uint8_t *raw = malloc(raw_len);
	struct st_event *evs = NULL;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	enum tc_err rv = TC_ENOMEM;
	if (raw == NULL || dctx == NULL)
		goto fail;
	size_t got = ZSTD_decompressDCtx(dctx, raw, raw_len, z, zlen);
	if (ZSTD_isError(got) || got != raw_len) {
		rv = bad(why, whylen,
		    ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_checksum_wrong
		        ? "chunk failed its checksum"
		        : "chunk does not decompress");
		goto fail;
	}
	uint32_t count = get_u32(raw);
	uint64_t seq = get_u64(raw + 4);
	int64_t ts = (int64_t)get_u64(raw + 12);
	if (count == 0 || count > ST_BATCH_MAX || (uint64_t)count * 4 > raw_len - BODY_HDR) {
		rv = bad(why, whylen, "chunk event count out of range");
		goto fail;
	}
	if (seq == 0) {
		rv = bad(why, whylen, "chunk starts at seq 0");
		goto fail;
	}
	evs = calloc(count, sizeof(*evs));
	if (evs == NULL) {
		rv = TC_ENOMEM;
		goto fail;
	}
	const uint8_t *p = raw + BODY_HDR, *end = raw + raw_len;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t dseq, dts, type, elen;
		if (get_uvarint(&p, end, &dseq) < 0 || get_uvarint(&p, end, &dts) < 0 ||
		    get_uvarint(&p, end, &type) < 0 || get_uvarint(&p, end, &elen) < 0) {
			rv = bad(why, whylen, "chunk has a malformed event header");
			goto fail;
		}
		if ((i == 0) != (dseq == 0) || dseq > UINT64_MAX - seq) {
			rv = bad(why, whylen, "chunk's seqs are not increasing");
			goto fail;
		}
		if (type == 0 || type > 0xffff || elen > ST_EVENT_PAYLOAD_MAX ||
		    elen > (uint64_t)(end - p)) {
			rv = bad(why, whylen, "chunk has an event type or length out of range");
			goto fail;
		}
		seq += dseq;
		ts = (int64_t)((uint64_t)ts + (uint64_t)unzigzag(dts));
		evs[i].seq = seq;
		evs[i].ts_ms = ts;
		evs[i].type = (uint16_t)type;
		evs[i].len = (uint32_t)elen;
		evs[i].payload = p;
		p += elen;
	}
	if (p != end) {
		rv = bad(why, whylen, "chunk has bytes after its last event");
		goto fail;
	}
	ZSTD_freeDCtx(dctx);
	*evs_out = evs;
	*n_out = count;
	*mem_out = raw;
	return TC_OK;
fail:
	ZSTD_freeDCtx(dctx);
	free(raw);
	free(evs);
	return rv;
}
