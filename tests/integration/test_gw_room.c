/*
 * test_gw_room.c - the gateway with the real room actor (in memory: no
 * store, no recorder): join, sync, chat relay between two members,
 * observers refused for document updates, a third editor refused with
 * 4029, and LEAVE updating the others.
 */
#include <stdio.h>
#include <string.h>

#include "actors/protocol.h"
#include "actors/room.h"
#include "gw_client.h"
#include "gw_fixture.h"
#include "xt.h"

#define WAIT 15000

static struct gwc_ws *
join_any(struct gw_fixture *f, const char *user, const char *role)
{
	char tok[2048], path[2200];
	gw_fixture_token(f, user, "room1", role, tok, sizeof(tok));
	snprintf(path, sizeof(path), "/ws/rooms/room1?token=%s", tok);
	struct gwc_ws *ws = gwc_ws_open(f->port, path, NULL);
	cr_assert_neq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED);
	return ws;
}

static struct gwc_ws *
join(struct gw_fixture *f, const char *user, const char *role)
{
	struct gwc_ws *ws = join_any(f, user, role);
	cr_assert_eq(gwc_ws_state(ws), GWC_OPEN);
	return ws;
}

/* A SYNC update frame holding the golden Yjs update "hello" (from Yjs). */
static size_t
hello_update(uint8_t *out, size_t cap)
{
	char path[1024];
	uint8_t buf[512];
	snprintf(path, sizeof(path), "%s/tests/data/yjs/insert_ascii.bin", xt_source_root());
	FILE *fp = fopen(path, "rb");
	cr_assert(fp != NULL, "%s", path);
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	cr_assert(n > 0 && n < 128 && n + 3 <= cap);
	out[0] = ROOM_FRAME_SYNC;
	out[1] = ROOM_SYNC_UPDATE;
	out[2] = (uint8_t)n; /* varUint, one byte below 128 */
	memcpy(out + 3, buf, n);
	return n + 3;
}

/* Waits for a frame of type (and, if sub >= 0, second byte sub) that holds
 * needle (may be NULL); returns its index or -1. */
static long
wait_frame(struct gwc_ws *ws, uint8_t type, int sub, const char *needle)
{
	size_t seen = 0;
	uint64_t end = xt_now_ms() + WAIT;
	while (xt_now_ms() < end) {
		size_t n = gwc_ws_wait_count(ws, seen + 1, (unsigned)(end - xt_now_ms()));
		for (; seen < n; seen++) {
			const uint8_t *d;
			size_t len;
			gwc_ws_get(ws, seen, &d, &len);
			if (len >= 1 && d[0] == type && (sub < 0 || (len >= 2 && d[1] == sub)) &&
			    (needle == NULL || memmem(d, len, needle, strlen(needle)) != NULL))
				return (long)seen;
		}
		if (gwc_ws_state(ws) != GWC_OPEN)
			return -1;
	}
	return -1;
}

static void
start(struct gw_fixture *f)
{
	gw_fixture_start(f, NULL, false, false);
	struct room_config rc = {.problem = "two-sum"};
	XT_OK(room_register(f->node, &rc));
	f->after_stop = room_unregister;
}

Test(gateway_room, two_editors_sync_and_chat)
{
	struct gw_fixture f;
	start(&f);
	struct gwc_ws *a = join(&f, "g-ann", "editor");
	cr_assert(wait_frame(a, ROOM_FRAME_STATE, -1, "g-ann") >= 0, "no ROOM_STATE");
	cr_assert(wait_frame(a, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, NULL) >= 0, "no sync step 1");

	/* A's own step 1 (empty state vector) is answered with an empty step 2 */
	const uint8_t step1[] = {ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 1, 0};
	gwc_ws_send(a, step1, sizeof(step1), true);
	cr_assert(wait_frame(a, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, NULL) >= 0, "no step 2");

	struct gwc_ws *b = join(&f, "g-bob", "editor");
	cr_assert(wait_frame(b, ROOM_FRAME_STATE, -1, "g-ann") >= 0);
	cr_assert(wait_frame(a, ROOM_FRAME_STATE, -1, "g-bob") >= 0, "A not told of B");

	/* CHAT {text: "hi there"} from A reaches B */
	const uint8_t chat[] = {ROOM_FRAME_CHAT, 0x81, 0xa4, 't', 'e', 'x', 't', 0xa8, 'h', 'i',
	    ' ', 't', 'h', 'e', 'r', 'e'};
	gwc_ws_send(a, chat, sizeof(chat), true);
	cr_assert(wait_frame(b, ROOM_FRAME_CHAT, -1, "hi there") >= 0, "chat not relayed");

	/* A's document update reaches B as a SYNC update, byte for byte */
	uint8_t upd[160];
	size_t ulen = hello_update(upd, sizeof(upd));
	gwc_ws_send(a, upd, ulen, true);
	long i = wait_frame(b, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, NULL);
	cr_assert(i >= 0, "update not relayed");
	const uint8_t *d;
	size_t len;
	gwc_ws_get(b, (size_t)i, &d, &len);
	cr_assert_eq(len, ulen);
	cr_assert(memcmp(d, upd, ulen) == 0);

	/* a third editor is refused: ROOM_FULL and 4029 */
	struct gwc_ws *c = join_any(&f, "g-cy", "editor");
	cr_assert_eq(gwc_ws_wait_closed(c, WAIT), ROOM_CLOSE_ROOM_FULL);
	cr_assert(gwc_ws_find_error(c, ROOM_ERR_ROOM_FULL) >= 0);

	gwc_ws_free(b);
	gwc_ws_free(c);
	gwc_ws_free(a);
	gw_fixture_stop(&f);
}

Test(gateway_room, observer_cannot_edit)
{
	struct gw_fixture f;
	start(&f);
	struct gwc_ws *o = join(&f, "g-obs", "observer");
	cr_assert(wait_frame(o, ROOM_FRAME_STATE, -1, "observer") >= 0);
	uint8_t upd[160];
	size_t ulen = hello_update(upd, sizeof(upd));
	gwc_ws_send(o, upd, ulen, true);
	cr_assert(wait_frame(o, ROOM_FRAME_ERROR, -1, ROOM_ERR_READ_ONLY) >= 0, "no READ_ONLY");
	cr_assert_eq(gwc_ws_state(o), GWC_OPEN);
	gwc_ws_free(o);
	gw_fixture_stop(&f);
}
