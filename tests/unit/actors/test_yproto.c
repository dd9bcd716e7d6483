/*
 * test_yproto.c - lib0 codec, y-protocols frames, the Yjs update parser and
 * the awareness parser, against bytes that Yjs itself produced
 * (tests/data/yjs, see its README) and hand-made malformed input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"
#include "xt.h"

/* load reads tests/data/yjs/<name>; the caller frees *out. */
static uint8_t *
load(const char *name, size_t *len)
{
	return xt_read_source(1 << 16, len, "tests/data/yjs/%s", name);
}

Test(actors_yproto, golden_updates_match_yjs_decoder)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/yjs/expected.txt", xt_source_root());
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	char file[128], client[32];
	uint64_t ins, del, structs, gc, skip;
	int lines = 0;
	while (fscanf(f, "%127s %31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
	           file, client, &ins, &del, &structs, &gc, &skip) == 7) {
		size_t len;
		uint8_t *buf = load(file, &len);
		struct yp_update_info info;
		XT_OK(yp_update_parse(buf, len, &info));
		if (strcmp(client, "-") == 0) {
			cr_expect_eq(info.nclients, 0, "%s: clients", file);
		} else {
			uint64_t id = strtoull(client, NULL, 10);
			const struct yp_client_stat *st = NULL;
			for (size_t i = 0; i < info.nclients; i++) {
				if (info.clients[i].client == id)
					st = &info.clients[i];
			}
			cr_assert_not_null(st, "%s: client %s missing", file, client);
			cr_expect_eq(st->inserted, ins, "%s/%s inserted %" PRIu64 " want %" PRIu64,
			    file, client, st->inserted, ins);
			cr_expect_eq(st->deleted, del, "%s/%s deleted", file, client);
			cr_expect_eq(st->structs, structs, "%s/%s structs", file, client);
			cr_expect_eq(st->gc, gc, "%s/%s gc", file, client);
			cr_expect_eq(st->skip, skip, "%s/%s skip", file, client);
		}
		yp_update_info_fini(&info);
		free(buf);
		lines++;
	}
	fclose(f);
	cr_assert_geq(lines, 12, "expected.txt has %d lines", lines);
}

static const char *const golden_updates[] = {
    "insert_ascii.bin",
    "insert_unicode.bin",
    "session_1.bin",
    "delete_only.bin",
    "session_3.bin",
    "two_clients_state.bin",
    "all_content.bin",
    "gc.bin",
    "skip.bin",
    "content_json.bin",
    "empty.bin",
};

Test(actors_yproto, truncated_updates_rejected_every_prefix)
{
	for (size_t g = 0; g < sizeof(golden_updates) / sizeof(golden_updates[0]); g++) {
		size_t len;
		uint8_t *buf = load(golden_updates[g], &len);
		for (size_t cut = 0; cut < len; cut++) {
			struct yp_update_info info;
			enum tc_err rv = yp_update_parse(buf, cut, &info);
			cr_expect_neq(rv, TC_OK, "%s accepted at %zu of %zu bytes",
			    golden_updates[g], cut, len);
			cr_expect_null(info.clients);
		}
		free(buf);
	}
}

Test(actors_yproto, trailing_bytes_rejected)
{
	size_t len;
	uint8_t *buf = load("insert_ascii.bin", &len);
	buf[len] = 0;
	struct yp_update_info info;
	XT_ERR(yp_update_parse(buf, len + 1, &info), TC_EPROTO);
	free(buf);
}

Test(actors_yproto, unicode_counted_in_utf16_units)
{
	uint64_t u;
	const char *s = "h\xc3\xa9llo \xf0\x9f\x98\x80 \xe4\xb8\x96"; /* héllo 😀 世 */
	XT_OK(yp_utf8_check(s, strlen(s), &u));
	cr_assert_eq(u, 10);
	XT_OK(yp_utf8_check("", 0, &u));
	cr_assert_eq(u, 0);
}

Test(actors_yproto, invalid_utf8_rejected)
{
	static const char *const bad[] = {
	    "\xc0\xaf",         /* overlong '/' */
	    "\xe0\x80\xaf",     /* overlong */
	    "\xed\xa0\x80",     /* a surrogate */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "\xc3",             /* truncated */
	    "\x80",             /* a lone continuation byte */
	    "\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(yp_utf8_check(bad[i], strlen(bad[i]), NULL), TC_EPROTO);
}

Test(actors_yproto, var_uint_round_trip_and_limits)
{
	static const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, YP_UINT_MAX};
	struct yp_buf b;
	yp_buf_init(&b, 1024);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		XT_OK(yp_write_var_uint(&b, vals[i]));
	struct yp_reader r;
	yp_reader_init(&r, b.data, b.len);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t v;
		XT_OK(yp_read_var_uint(&r, &v));
		cr_assert_eq(v, vals[i]);
	}
	cr_assert_eq(yp_reader_left(&r), 0);
	yp_buf_fini(&b);

	/* 2^53 and an endless continuation are refused; so is reading past the end. */
	static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10};
	static const uint8_t endless[] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	uint64_t v;
	yp_reader_init(&r, big, sizeof(big));
	XT_ERR(yp_read_var_uint(&r, &v), TC_EPROTO);
	cr_assert_eq(r.pos, 0, "a failed read does not advance");
	yp_reader_init(&r, endless, sizeof(endless));
	XT_ERR(yp_read_var_uint(&r, &v), TC_EPROTO);
	yp_reader_init(&r, big, 3);
	XT_ERR(yp_read_var_uint(&r, &v), TC_EPROTO);
}

Test(actors_yproto, var_int_reads_lib0_sign_bit)
{
	static const uint8_t neg7[] = {0x47};         /* sign bit 0x40, value 7 */
	static const uint8_t pos200[] = {0x88, 0x03}; /* 8 + 3 * 64 */
	int64_t v;
	struct yp_reader r;
	yp_reader_init(&r, neg7, sizeof(neg7));
	XT_OK(yp_read_var_int(&r, &v));
	cr_assert_eq(v, -7);
	yp_reader_init(&r, pos200, sizeof(pos200));
	XT_OK(yp_read_var_int(&r, &v));
	cr_assert_eq(v, 200);
}

Test(actors_yproto, buf_refuses_past_max)
{
	struct yp_buf b;
	yp_buf_init(&b, 4);
	XT_OK(yp_write_bytes(&b, "abc", 3));
	XT_ERR(yp_write_var_bytes(&b, "xy", 2), TC_ETOOBIG);
	cr_assert_eq(b.len, 3, "a failed write leaves the buffer unchanged");
	XT_OK(yp_write_u8(&b, 'd'));
	XT_ERR(yp_write_u8(&b, 'e'), TC_ETOOBIG);
	yp_buf_fini(&b);
	yp_buf_fini(&b);
}

Test(actors_yproto, json_check_accepts_json_parse_grammar)
{
	static const char *const good[] = {"null", " {\"a\" : [1, -2.5e+3, \"x\\u00e9\\n\"]} ",
	    "[]", "{}", "\"\"", "0", "true", "[false,null,{\"k\":{}}]"};
	static const char *const bad[] = {"", "nul", "{a:1}", "[1,]", "01", "1.", "\"\\x\"",
	    "[1] 2", "{\"a\"}", "\"\x01\"", "'x'", "-", "[", "undefined"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		XT_OK(yp_json_check(good[i], strlen(good[i]), YP_MAX_DEPTH));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(yp_json_check(bad[i], strlen(bad[i]), YP_MAX_DEPTH), TC_EPROTO,
		    "accepted %s", bad[i]);
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	XT_ERR(yp_json_check(deep, 200, YP_MAX_DEPTH), TC_EPROTO);
	XT_OK(yp_json_check(deep + 100 - 10, 20, YP_MAX_DEPTH));
}

Test(actors_yproto, sync_frames_from_y_protocols_parse)
{
	size_t len;
	struct yp_frame f;
	size_t n;
	uint8_t *buf = load("frame_step1.bin", &len);
	XT_OK(yp_frame_parse(buf, len, &f));
	cr_assert_eq(f.type, YP_FRAME_SYNC);
	cr_assert_eq(f.sub, YP_SYNC_STEP1);
	XT_OK(yp_state_vector_check(f.data, f.len, &n));
	cr_assert_eq(n, 1, "one client in the state vector");
	free(buf);

	static const char *const updates[] = {"frame_step2.bin", "frame_update.bin"};
	static const uint64_t subs[] = {YP_SYNC_STEP2, YP_SYNC_UPDATE};
	static const uint64_t chars[] = {6, 1};
	for (int i = 0; i < 2; i++) {
		buf = load(updates[i], &len);
		XT_OK(yp_frame_parse(buf, len, &f));
		cr_assert_eq(f.type, YP_FRAME_SYNC);
		cr_assert_eq(f.sub, subs[i]);
		struct yp_update_info info;
		XT_OK(yp_update_parse(f.data, f.len, &info));
		cr_assert_eq(info.nclients, 1);
		cr_assert_eq(info.clients[0].client, 7001);
		cr_assert_eq(
		    info.inserted, chars[i], "%s inserted %" PRIu64, updates[i], info.inserted);
		yp_update_info_fini(&info);
		XT_ERR(yp_frame_parse(buf, len - 1, &f), TC_EPROTO);
		free(buf);
	}

	buf = load("frame_query_awareness.bin", &len);
	XT_OK(yp_frame_parse(buf, len, &f));
	cr_assert_eq(f.type, YP_FRAME_QUERY_AWARENESS);
	cr_assert_eq(f.len, 0);
	free(buf);
}

Test(actors_yproto, sync_frame_encode_round_trips)
{
	struct yp_buf b;
	struct yp_frame f;
	yp_buf_init(&b, 64);
	XT_OK(yp_frame_sync_encode(&b, YP_SYNC_STEP2, yp_empty_update, sizeof(yp_empty_update)));
	static const uint8_t want[] = {0, 1, 2, 0, 0};
	cr_assert_eq(b.len, sizeof(want));
	cr_assert_eq(memcmp(b.data, want, sizeof(want)), 0);
	XT_OK(yp_frame_parse(b.data, b.len, &f));
	cr_assert_eq(f.sub, YP_SYNC_STEP2);
	struct yp_update_info info;
	XT_OK(yp_update_parse(f.data, f.len, &info));
	cr_assert_eq(info.nclients, 0);
	yp_update_info_fini(&info);

	yp_buf_reset(&b);
	XT_OK(yp_frame_app_encode(&b, 101, "\x81\xa4text\xa2hi", 9));
	XT_OK(yp_frame_parse(b.data, b.len, &f));
	cr_assert_eq(f.type, 101);
	cr_assert_eq(f.len, 9);
	yp_buf_fini(&b);
}

Test(actors_yproto, bad_frames_rejected)
{
	static const uint8_t bad_sub[] = {0, 3, 0};
	static const uint8_t short_payload[] = {0, 2, 5, 0, 0};
	static const uint8_t query_with_tail[] = {3, 0};
	static const uint8_t empty[] = {0};
	struct yp_frame f;
	XT_ERR(yp_frame_parse(bad_sub, sizeof(bad_sub), &f), TC_EPROTO);
	XT_ERR(yp_frame_parse(short_payload, sizeof(short_payload), &f), TC_EPROTO);
	XT_ERR(yp_frame_parse(query_with_tail, sizeof(query_with_tail), &f), TC_EPROTO);
	XT_ERR(yp_frame_parse(empty, 0, &f), TC_EPROTO);
}

Test(actors_yproto, awareness_from_y_protocols_parses)
{
	size_t len, n;
	struct yp_frame f;
	struct yp_awareness_entry e[4];
	uint8_t *buf = load("frame_awareness.bin", &len);
	XT_OK(yp_frame_parse(buf, len, &f));
	cr_assert_eq(f.type, YP_FRAME_AWARENESS);
	XT_OK(yp_awareness_parse(f.data, f.len, e, 4, &n));
	cr_assert_eq(n, 1);
	cr_assert_eq(e[0].client, 7001);
	cr_assert_geq(e[0].clock, 1);
	cr_assert_not_null(memmem(e[0].state, e[0].state_len, "\"Ada\"", 5));
	cr_assert_not(yp_awareness_is_removal(&e[0]));

	/* Re-encoding gives the same bytes. */
	struct yp_buf b;
	yp_buf_init(&b, 1024);
	XT_OK(yp_awareness_encode(&b, e, n));
	cr_assert_eq(b.len, f.len);
	cr_assert_eq(memcmp(b.data, f.data, f.len), 0);
	yp_buf_fini(&b);
	free(buf);

	buf = load("frame_awareness_removed.bin", &len);
	XT_OK(yp_frame_parse(buf, len, &f));
	XT_OK(yp_awareness_parse(f.data, f.len, e, 4, &n));
	cr_assert_eq(n, 1);
	cr_assert(yp_awareness_is_removal(&e[0]));
	free(buf);
}

Test(actors_yproto, awareness_bad_input_rejected)
{
	static const uint8_t bad_json[] = {1, 5, 1, 3, '{', 'a', '}'};
	static const uint8_t too_many[] = {3, 1, 1, 4, 'n', 'u', 'l', 'l', 2, 1, 4, 'n', 'u', 'l',
	    'l', 3, 1, 4, 'n', 'u', 'l', 'l'};
	static const uint8_t huge_count[] = {0xff, 0xff, 0x03, 0};
	struct yp_awareness_entry e[2];
	size_t n;
	XT_ERR(yp_awareness_parse(bad_json, sizeof(bad_json), e, 2, &n), TC_EPROTO);
	XT_ERR(yp_awareness_parse(too_many, sizeof(too_many), e, 2, &n), TC_ETOOBIG);
	XT_ERR(yp_awareness_parse(huge_count, sizeof(huge_count), e, 2, &n), TC_EPROTO);
}

/* One struct for client 9 at clock 0, info byte `info` (no origins), parent "t". */
static size_t
one_item(uint8_t *out, uint8_t info, const uint8_t *content, size_t clen)
{
	size_t n = 0;
	out[n++] = 1; /* clients */
	out[n++] = 1; /* structs */
	out[n++] = 9; /* client */
	out[n++] = 0; /* clock */
	out[n++] = info;
	out[n++] = 1; /* parent by name */
	out[n++] = 1;
	out[n++] = 't';
	memcpy(out + n, content, clen);
	n += clen;
	out[n++] = 0; /* empty delete set */
	return n;
}

Test(actors_yproto, item_contents_checked)
{
	uint8_t buf[64];
	struct yp_update_info info;
	static const uint8_t str_ok[] = {2, 'h', 'i'};
	static const uint8_t str_bad[] = {2, 0xc3, 0x28};
	static const uint8_t type_bad[] = {7};
	static const uint8_t type_hook[] = {5, 1, 'w'};
	static const uint8_t any_bad_tag[] = {1, 100};
	static const uint8_t any_nested[] = {1, 117, 2, 125, 0x47, 118, 1, 1, 'k', 126};
	static const uint8_t embed_bad[] = {3, '{', 'x', '}'};

	XT_OK(yp_update_parse(buf, one_item(buf, 4, str_ok, sizeof(str_ok)), &info));
	cr_assert_eq(info.inserted, 2);
	yp_update_info_fini(&info);
	XT_ERR(yp_update_parse(buf, one_item(buf, 4, str_bad, sizeof(str_bad)), &info), TC_EPROTO);
	XT_ERR(
	    yp_update_parse(buf, one_item(buf, 7, type_bad, sizeof(type_bad)), &info), TC_EPROTO);
	XT_OK(yp_update_parse(buf, one_item(buf, 7, type_hook, sizeof(type_hook)), &info));
	yp_update_info_fini(&info);
	XT_ERR(yp_update_parse(buf, one_item(buf, 8, any_bad_tag, sizeof(any_bad_tag)), &info),
	    TC_EPROTO);
	XT_OK(yp_update_parse(buf, one_item(buf, 8, any_nested, sizeof(any_nested)), &info));
	cr_assert_eq(info.clients[0].end, 1, "one Any value is one clock unit");
	yp_update_info_fini(&info);
	XT_ERR(
	    yp_update_parse(buf, one_item(buf, 5, embed_bad, sizeof(embed_bad)), &info), TC_EPROTO);
	/* Content refs 11..31 do not exist. */
	for (uint8_t ref = 11; ref < 32; ref++)
		XT_ERR(yp_update_parse(buf, one_item(buf, ref, str_ok, sizeof(str_ok)), &info),
		    TC_EPROTO);
}

Test(actors_yproto, huge_counts_rejected_before_allocating)
{
	/* 2^52 clients, structs, delete ranges: each refused against the bytes left. */
	static const uint8_t many_clients[] = {
	    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0};
	static const uint8_t many_structs[] = {1, 0xff, 0xff, 0xff, 0x7f, 9, 0, 0, 0};
	static const uint8_t many_ranges[] = {0, 1, 9, 0xff, 0xff, 0xff, 0x7f, 0, 1};
	static const uint8_t clock_overflow[] = {
	    0, 1, 9, 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f};
	struct yp_update_info info;
	XT_ERR(yp_update_parse(many_clients, sizeof(many_clients), &info), TC_EPROTO);
	XT_ERR(yp_update_parse(many_structs, sizeof(many_structs), &info), TC_EPROTO);
	XT_ERR(yp_update_parse(many_ranges, sizeof(many_ranges), &info), TC_EPROTO);
	XT_ERR(yp_update_parse(clock_overflow, sizeof(clock_overflow), &info), TC_EPROTO);
}

Test(actors_yproto, duplicate_clients_merged)
{
	/* Client 9 twice in the structs (clock 0 and 2) and once in the delete set. */
	static const uint8_t u[] = {
	    2, 1, 9, 0, 4, 1, 1, 't', 2, 'a', 'b', 1, 9, 2, 4, 1, 1, 't', 1, 'c', 1, 9, 1, 0, 1};
	struct yp_update_info info;
	XT_OK(yp_update_parse(u, sizeof(u), &info));
	cr_assert_eq(info.nclients, 1);
	cr_assert_eq(info.clients[0].structs, 2);
	cr_assert_eq(info.clients[0].inserted, 3);
	cr_assert_eq(info.clients[0].deleted, 1);
	cr_assert_eq(info.clients[0].clock, 0);
	cr_assert_eq(info.clients[0].end, 3);
	yp_update_info_fini(&info);
}
