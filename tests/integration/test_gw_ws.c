/*
 * test_gw_ws.c - the room WebSocket on a running gateway with a scripted
 * stand-in room: handshake refusals (token, origin, room), the join and
 * frame relay, and every limit (text frames, frame size, rate, slow
 * reader), each with its close code, error frame and metric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/protocol.h"
#include "gw_client.h"
#include "gw_fixture.h"
#include "gwt.h"
#include "xt.h"

#define WAIT 15000

static struct gwc_ws *
connect_room(struct gw_fixture *f, const char *room, const char *token, const char *origin)
{
	char path[4096];
	snprintf(path, sizeof(path), "/ws/rooms/%s?token=%s", room, token != NULL ? token : "");
	return gwc_ws_open(f->port, path, origin);
}

static bool
joins_at_least_1(void *arg)
{
	return atomic_load(&fake_room.joins) >= 1;
}

static bool
leaves_at_least_1(void *arg)
{
	return atomic_load(&fake_room.leaves) >= 1;
}

Test(gateway_ws, join_and_relay)
{
	struct gw_fixture f;
	char tok[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));

	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	cr_assert(xt_wait_until(joins_at_least_1, NULL, WAIT));
	cr_assert_str_eq(fake_room.last_user, "g-ann");
	cr_assert_str_eq(fake_room.last_role, "editor");
	cr_assert_eq(gwc_ws_wait_count(ws, 1, WAIT), 1); /* the room's hello */
	const uint8_t *d;
	size_t len;
	cr_assert(gwc_ws_get(ws, 0, &d, &len));
	cr_assert_eq(d[0], ROOM_FRAME_STATE);

	/* frames reach the room verbatim and its answers come back */
	uint8_t frame[300];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	frame[0] = ROOM_FRAME_SYNC;
	gwc_ws_send(ws, frame, sizeof(frame), true);
	cr_assert_eq(gwc_ws_wait_count(ws, 2, WAIT), 2);
	cr_assert(gwc_ws_get(ws, 1, &d, &len));
	cr_assert_eq(len, sizeof(frame));
	cr_assert(memcmp(d, frame, len) == 0);

	struct gw_stats st;
	gw_server_stats(f.gw, &st);
	cr_assert_eq(st.ws_open, 1);
	cr_assert_eq(st.frames_in, 1);
	cr_assert(st.frames_out >= 1);

	gwc_ws_free(ws); /* closes: the room gets LEAVE */
	cr_assert(xt_wait_until(leaves_at_least_1, NULL, WAIT));
	gw_fixture_stop(&f);
}

Test(gateway_ws, unbound_token_joins_as_observer)
{
	struct gw_fixture f;
	char tok[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-bea", NULL, NULL, tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r2", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	cr_assert(xt_wait_until(joins_at_least_1, NULL, WAIT));
	cr_assert_str_eq(fake_room.last_role, "observer");
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, bad_tokens_refused_at_handshake)
{
	struct gw_fixture f;
	char tok[2048], other_room[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	gw_fixture_token(&f, "g-ann", "r9", "editor", other_room, sizeof(other_room));

	/* forged: another secret's token */
	struct gw_identity id = {.provider = GW_PROVIDER_GUEST, .exp = time(NULL) + 100};
	strcpy(id.user, "g-eve");
	strcpy(id.name, "Eve");
	uint8_t key[GW_GUEST_KEY_LEN] = {1};
	char forged[2048];
	XT_OK(gw_guest_sign(key, &id, forged, sizeof(forged)));
	/* expired: right secret, past exp */
	struct gw_auth_config ac = {.guest_secret = "test secret", .guest_ttl_s = 1};
	struct gw_auth *a;
	char expired[2048];
	XT_OK(gw_auth_new(&ac, NULL, &a, NULL, 0));
	XT_OK(gw_auth_issue(a, &id, time(NULL) - 100, expired, sizeof(expired)));
	gw_auth_free(a);

	const char *bad[] = {NULL, "", forged, expired, "garbage", other_room};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gwc_ws *ws = connect_room(&f, "r1", bad[i], NULL);
		cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED, "token %zu accepted", i);
		gwc_ws_free(ws);
	}
	cr_assert_eq(atomic_load(&fake_room.joins), 0, "a refused client reached the room");
	struct gw_stats st;
	gw_server_stats(f.gw, &st);
	cr_assert_eq(st.auth_failures, 6);
	cr_assert_eq(st.ws_total, 0);

	/* a bad room path is refused too */
	struct gwc_ws *ws = connect_room(&f, "bad%20room", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED);
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, wrong_origin_refused)
{
	struct gw_fixture f;
	char tok[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));

	struct gwc_ws *ws = connect_room(&f, "r1", tok, "http://evil.example");
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED);
	gwc_ws_free(ws);
	cr_assert_eq(atomic_load(&fake_room.joins), 0);

	/* the page's own origin (same host) is allowed */
	char origin[64];
	snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", f.port);
	ws = connect_room(&f, "r1", tok, origin);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, configured_origins_only)
{
	struct gw_fixture f;
	struct gw_config cfg;
	const char *origins[] = {"https://app.example"};
	char tok[2048], self[64];
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "test secret";
	cfg.origins = origins;
	cfg.norigins = 1;
	gw_fixture_start(&f, &cfg, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	snprintf(self, sizeof(self), "http://127.0.0.1:%d", f.port);
	struct gwc_ws *ws = connect_room(&f, "r1", tok, self);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED);
	gwc_ws_free(ws);
	ws = connect_room(&f, "r1", tok, "https://app.example");
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, jwt_accepted_with_jwks)
{
	struct gw_fixture f;
	struct gw_config cfg;
	char *dir = xt_tmpdir("gw-jwt"), path[512], claims[512], url[4096];
	EVP_PKEY *key = gwt_key_new(GWT_EC);
	const char *kids[] = {"k1"};
	char *doc = gwt_jwks(&key, kids, 1);
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	xt_write_file(NULL, path, doc);
	free(doc);
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "s";
	cfg.auth.jwks_file = path;
	cfg.auth.issuer = "https://clerk.example";
	cfg.auth.audience = "tandem";
	gw_fixture_start(&f, &cfg, true, false);

	snprintf(claims, sizeof(claims),
	    "{\"sub\":\"user_1\",\"name\":\"Cy\",\"iss\":\"https://"
	    "clerk.example\",\"aud\":\"tandem\","
	    "\"exp\":%ld}",
	    (long)time(NULL) + 300);
	char *jwt = gwt_jwt(key, "ES256", "k1", claims, NULL);
	snprintf(url, sizeof(url), "/ws/rooms/r1?token=%s", jwt);
	struct gwc_ws *ws = gwc_ws_open(f.port, url, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	cr_assert(xt_wait_until(joins_at_least_1, NULL, WAIT));
	cr_assert_str_eq(fake_room.last_user, "j-user_1");
	cr_assert_str_eq(fake_room.last_role, "observer");
	gwc_ws_free(ws);
	free(jwt);

	/* the same claims signed by a key the JWKS does not hold */
	EVP_PKEY *other = gwt_key_new(GWT_EC);
	jwt = gwt_jwt(other, "ES256", "k1", claims, NULL);
	snprintf(url, sizeof(url), "/ws/rooms/r1?token=%s", jwt);
	ws = gwc_ws_open(f.port, url, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_REFUSED);
	gwc_ws_free(ws);
	free(jwt);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
	gw_fixture_stop(&f);
	xt_rmtree(dir);
	free(dir);
}

Test(gateway_ws, text_frames_refused)
{
	struct gw_fixture f;
	char tok[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	cr_assert_eq(gwc_ws_wait_count(ws, 1, WAIT), 1);
	gwc_ws_send(ws, "hello", 5, false);
	cr_assert_eq(gwc_ws_wait_count(ws, 2, WAIT), 2);
	cr_assert_eq(gwc_ws_find_error(ws, ROOM_ERR_BAD_FRAME), 1);
	cr_assert_eq(atomic_load(&fake_room.frames), 0);
	cr_assert_eq(gwc_ws_state(ws), GWC_OPEN); /* one bad frame is not fatal */
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, oversize_frame_closes_1009)
{
	struct gw_fixture f;
	struct gw_config cfg;
	char tok[2048];
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "test secret";
	cfg.limits.max_frame = 64 * 1024;
	gw_fixture_start(&f, &cfg, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	uint8_t *big = calloc(1, 64 * 1024 + 1);
	gwc_ws_send(ws, big, 64 * 1024, true); /* at the cap: fine */
	cr_assert_eq(gwc_ws_wait_count(ws, 2, WAIT), 2);
	gwc_ws_send(ws, big, 64 * 1024 + 1, true);
	int code = gwc_ws_wait_closed(ws, WAIT);
	cr_assert_eq(code, ROOM_CLOSE_TOO_LARGE, "closed with %d", code);
	cr_assert(gwc_ws_find_error(ws, ROOM_ERR_TOO_LARGE) >= 0);
	cr_assert_eq(atomic_load(&fake_room.frames), 1);
	free(big);
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, rate_limit_then_policy_close)
{
	struct gw_fixture f;
	struct gw_config cfg;
	char tok[2048];
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "test secret";
	cfg.limits.msgs_per_s = 1;
	cfg.limits.burst = 5;
	cfg.limits.strikes = 10;
	gw_fixture_start(&f, &cfg, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	const uint8_t frame[] = {ROOM_FRAME_AWARENESS, 0};
	for (int i = 0; i < 200; i++)
		gwc_ws_send(ws, frame, sizeof(frame), true);
	cr_assert_eq(gwc_ws_wait_closed(ws, WAIT), ROOM_CLOSE_POLICY);
	cr_assert(gwc_ws_find_error(ws, ROOM_ERR_RATE_LIMITED) >= 0);
	/* the room saw the burst and not much more: far fewer than 200 */
	cr_assert(atomic_load(&fake_room.frames) < 100);
	struct gwc_http r;
	gwc_http("GET", f.port, "/metrics", NULL, NULL, &r);
	cr_assert(strstr(r.body, "gw_frames_rejected_total{reason=\"rate_limited\"} 10") != NULL ||
	          strstr(r.body, "gw_closes_total{reason=\"policy\"} 1") != NULL);
	gwc_http_free(&r);
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

Test(gateway_ws, room_close_request)
{
	struct gw_fixture f;
	char tok[2048];
	gw_fixture_start(&f, NULL, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	const uint8_t cmd[] = {FAKE_CLOSE, 1}; /* a valid varUint type */
	gwc_ws_send(ws, cmd, sizeof(cmd), true);
	cr_assert_eq(gwc_ws_wait_closed(ws, WAIT), ROOM_CLOSE_ROOM_FULL);
	cr_assert(xt_wait_until(leaves_at_least_1, NULL, WAIT));
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}

struct slow_arg {
	struct gw_server *gw;
};

static bool
slow_closed(void *arg)
{
	struct gw_stats st;
	gw_server_stats(arg, &st);
	return st.slow_closed >= 1;
}

Test(gateway_ws, slow_reader_closed_4010)
{
	struct gw_fixture f;
	struct gw_config cfg;
	char tok[2048];
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "test secret";
	cfg.limits.sendq_bytes = 1u << 20;
	gw_fixture_start(&f, &cfg, true, false);
	gw_fixture_token(&f, "g-ann", "r1", "editor", tok, sizeof(tok));
	struct gwc_ws *ws = connect_room(&f, "r1", tok, NULL);
	cr_assert_eq(gwc_ws_wait_open(ws, WAIT), GWC_OPEN);
	cr_assert_eq(gwc_ws_wait_count(ws, 1, WAIT), 1);

	/* stop reading, then have the room send 100 x 10 x 32 KiB = 32 MiB:
	 * more than the socket buffers and the 1 MiB queue hold */
	gwc_ws_pause(ws, true);
	const uint8_t flood[] = {FAKE_FLOOD, 100, 32};
	gwc_ws_send(ws, flood, sizeof(flood), true);
	cr_assert(xt_wait_until(slow_closed, f.gw, WAIT), "the queue never overflowed");
	gwc_ws_pause(ws, false);
	cr_assert_eq(gwc_ws_wait_closed(ws, WAIT), ROOM_CLOSE_SLOW_READER);
	/* whatever arrived came whole: every frame is a full 32 KiB chat frame */
	size_t n = gwc_ws_count(ws);
	cr_assert(n < 1001, "got all %zu frames: nothing was dropped", n);
	for (size_t i = 1; i < n; i++) {
		const uint8_t *d;
		size_t len;
		gwc_ws_get(ws, i, &d, &len);
		cr_assert_eq(len, 32 * 1024u, "frame %zu is %zu bytes", i, len);
		cr_assert_eq(d[0], ROOM_FRAME_CHAT);
	}
	gwc_ws_free(ws);
	gw_fixture_stop(&f);
}
