/*
 * test_gw_http.c - the gateway's HTTP side on a running server: health,
 * metrics, the web app (types, SPA fallback, traversal refused, help page
 * when unbuilt) and the REST API (problems without hidden data, guests,
 * rooms with invites, timelines, errors).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>

#include <msgpack.h>

#include "gw_client.h"
#include "gw_fixture.h"
#include "store/store.h"
#include "xt.h"

/* A web root with an index, an asset and a secret beside it. */
static char *
make_web(void)
{
	char *dir = xt_tmpdir("gw-web");
	char sub[1024];
	snprintf(sub, sizeof(sub), "%s/dist", dir);
	mkdir(sub, 0755);
	xt_write_file(sub, "index.html", "<!doctype html><title>app-index</title>");
	snprintf(sub, sizeof(sub), "%s/dist/assets", dir);
	mkdir(sub, 0755);
	xt_write_file(sub, "app-1a2b.js", "console.log('app')");
	xt_write_file(sub, "style.css", "body{}");
	snprintf(sub, sizeof(sub), "%s/dist", dir);
	xt_write_file(sub, ".env", "SECRET=web-dotfile");
	xt_write_file(dir, "secret.txt", "outside-web-root");
	return dir;
}

static json_t *
body_json(const struct gwc_http *r)
{
	json_t *j = json_loads(r->body, 0, NULL);
	cr_assert(j != NULL, "not JSON: %s", r->body);
	return j;
}

Test(gateway_http, healthz_and_metrics)
{
	struct gw_fixture f;
	struct gwc_http r;
	gw_fixture_start(&f, NULL, true, false);

	XT_OK(gwc_http("GET", f.port, "/healthz", NULL, NULL, &r) == 0 ? TC_OK : TC_EIO);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "ok\n");
	gwc_http_free(&r);
	gwc_http("GET", f.port, "/api/nothing-here", NULL, NULL, &r);
	cr_assert_eq(r.status, 404);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/metrics", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "text/plain") != NULL, "%s", r.ctype);
	cr_assert(strstr(r.body, "gw_connections ") != NULL);
	cr_assert(strstr(r.body, "gw_http_requests_total{status=\"404\"} 1") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "gw_frames_rejected_total{reason=\"too_large\"}") != NULL);
	cr_assert(strstr(r.body, "gw_auth_failures_total{reason=\"expired\"}") != NULL);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
}

Test(gateway_http, static_files_and_spa_fallback)
{
	struct gw_fixture f;
	struct gw_config cfg;
	struct gwc_http r;
	char *web = make_web(), root[1024];
	snprintf(root, sizeof(root), "%s/dist", web);
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "t";
	cfg.web_root = root;
	gw_fixture_start(&f, &cfg, true, false);

	gwc_http("GET", f.port, "/", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "app-index") != NULL);
	cr_assert(strstr(r.ctype, "text/html") != NULL, "%s", r.ctype);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/assets/app-1a2b.js", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "text/javascript") != NULL, "%s", r.ctype);
	cr_assert(strstr(r.cache, "immutable") != NULL, "%s", r.cache);
	gwc_http_free(&r);
	gwc_http("GET", f.port, "/assets/style.css", NULL, NULL, &r);
	cr_assert(strstr(r.ctype, "text/css") != NULL, "%s", r.ctype);
	gwc_http_free(&r);

	static const char *const spa[] = {"/room/abc123", "/replay/abc123", "/room/x/y"};
	for (size_t i = 0; i < 3; i++) {
		gwc_http("GET", f.port, spa[i], NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s", spa[i]);
		cr_assert(strstr(r.body, "app-index") != NULL, "%s", spa[i]);
		gwc_http_free(&r);
	}
	gwc_http("GET", f.port, "/assets/missing.js", NULL, NULL, &r);
	cr_assert_eq(r.status, 404);
	gwc_http_free(&r);
	gwc_http("POST", f.port, "/index.html", "{}", NULL, &r);
	cr_assert_eq(r.status, 405);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
	xt_rmtree(web);
	free(web);
}

Test(gateway_http, traversal_refused)
{
	struct gw_fixture f;
	struct gw_config cfg;
	struct gwc_http r;
	char *web = make_web(), root[1024];
	snprintf(root, sizeof(root), "%s/dist", web);
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "t";
	cfg.web_root = root;
	gw_fixture_start(&f, &cfg, true, false);

	static const char *const bad[] = {"/../secret.txt", "/assets/../../secret.txt",
	    "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/.env",
	    "/../../../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gwc_http("GET", f.port, bad[i], NULL, NULL, &r);
		cr_assert(strstr(r.body, "outside-web-root") == NULL, "%s leaked", bad[i]);
		cr_assert(strstr(r.body, "web-dotfile") == NULL, "%s leaked", bad[i]);
		cr_assert(strstr(r.body, "root:") == NULL, "%s leaked", bad[i]);
		gwc_http_free(&r);
	}
	gw_fixture_stop(&f);
	xt_rmtree(web);
	free(web);
}

Test(gateway_http, unbuilt_web_app_gets_help_page)
{
	struct gw_fixture f;
	struct gw_config cfg;
	struct gwc_http r;
	gw_config_init(&cfg);
	cfg.auth.guest_secret = "t";
	cfg.web_root = "/nonexistent/web/dist";
	gw_fixture_start(&f, &cfg, true, false);
	gwc_http("GET", f.port, "/", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "tools/setup") != NULL);
	gwc_http_free(&r);
	gwc_http("GET", f.port, "/room/abc", NULL, NULL, &r);
	cr_assert(strstr(r.body, "tools/setup") != NULL);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
}

/* Everything hidden in a problem folder: its hidden tests and reference. */
static void
assert_no_hidden(const char *slug, const char *body)
{
	char dir[1024], path[2048];
	snprintf(dir, sizeof(dir), "%s/sandbox/problems/%s/tests/hidden", xt_source_root(), slug);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t checked = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		json_t *t = json_load_file(path, 0, NULL);
		json_t *name = json_object_get(t, "name");
		if (json_is_string(name)) {
			char needle[256];
			snprintf(needle, sizeof(needle), "\"%s\"", json_string_value(name));
			cr_assert(strstr(body, needle) == NULL, "hidden test %s leaked",
			    json_string_value(name));
			checked++;
		}
		json_decref(t);
	}
	if (d != NULL)
		closedir(d);
	cr_assert(checked > 0, "no hidden tests found to check in %s", dir);
	/* the reference solution: none of its lines that the starter lacks */
	char starter[8192] = "";
	snprintf(path, sizeof(path), "%s/sandbox/problems/%s/starter.py", xt_source_root(), slug);
	FILE *sf = fopen(path, "r");
	if (sf != NULL) {
		starter[fread(starter, 1, sizeof(starter) - 1, sf)] = '\0';
		fclose(sf);
	}
	snprintf(path, sizeof(path), "%s/sandbox/problems/%s/reference.py", xt_source_root(), slug);
	FILE *f = fopen(path, "r");
	char line[512];
	size_t lines = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) < 16 || strpbrk(line, "\"\\") != NULL ||
		    strstr(starter, line) != NULL)
			continue;
		cr_assert(strstr(body, line) == NULL, "reference line leaked: %s", line);
		lines++;
	}
	cr_assert(lines > 0, "no reference lines to check");
	if (f != NULL)
		fclose(f);
}

Test(gateway_http, problems_public_only)
{
	struct gw_fixture f;
	struct gwc_http r;
	gw_fixture_start(&f, NULL, true, false);

	gwc_http("GET", f.port, "/api/problems", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.ctype, "application/json") != NULL);
	json_t *list = body_json(&r);
	cr_assert(json_array_size(list) >= 10);
	json_t *first = json_array_get(list, 0);
	cr_assert(json_is_string(json_object_get(first, "slug")));
	cr_assert(json_is_string(json_object_get(first, "title")));
	cr_assert(json_object_get(first, "statement") == NULL); /* a summary */
	json_decref(list);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/api/problems/two-sum", NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	json_t *p = body_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(p, "slug")), "two-sum");
	cr_assert(json_string_length(json_object_get(p, "statement")) > 20);
	cr_assert(
	    strstr(json_string_value(json_object_get(p, "starter")), "class Solution") != NULL);
	json_t *samples = json_object_get(p, "samples");
	cr_assert_eq(json_array_size(samples), 3);
	cr_assert(json_object_get(json_array_get(samples, 0), "expected") != NULL);
	cr_assert(json_object_get(p, "limits") != NULL);
	assert_no_hidden("two-sum", r.body);
	json_decref(p);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/api/problems/nope", NULL, NULL, &r);
	cr_assert_eq(r.status, 404);
	json_t *e = body_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(e, "error")), "NO_PROBLEM");
	json_decref(e);
	gwc_http_free(&r);
	gwc_http("GET", f.port, "/api/problems/..%2f..%2f..%2fetc%2fpasswd", NULL, NULL, &r);
	cr_assert(strstr(r.body, "root:") == NULL);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
}

Test(gateway_http, guest_signin)
{
	struct gw_fixture f;
	struct gwc_http r;
	gw_fixture_start(&f, NULL, true, false);

	gwc_http("POST", f.port, "/api/auth/guest", "{\"name\":\"  Ann \"}", NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *j = body_json(&r);
	const char *tok = json_string_value(json_object_get(j, "token"));
	struct gw_identity id;
	XT_OK(gw_auth_verify(gw_server_auth(f.gw), tok, strlen(tok), time(NULL), &id, NULL));
	cr_assert_str_eq(id.name, "Ann");
	cr_assert_str_eq(id.user, json_string_value(json_object_get(j, "user")));
	json_decref(j);
	gwc_http_free(&r);

	static const char *const bad[] = {
	    "{}", "{\"name\":\"\"}", "{\"name\":5}", "[1]", "nope", "{\"name\":\"a\\u0000b\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gwc_http("POST", f.port, "/api/auth/guest", bad[i], NULL, &r);
		cr_assert_eq(r.status, 400, "%s -> %ld", bad[i], r.status);
		gwc_http_free(&r);
	}
	gwc_http("GET", f.port, "/api/auth/guest", NULL, NULL, &r);
	cr_assert_eq(r.status, 405);
	gwc_http_free(&r);

	/* over the body cap */
	char *big = malloc(200000);
	memset(big, 'a', 199999);
	big[199999] = '\0';
	memcpy(big, "{\"name\":\"", 9);
	gwc_http("POST", f.port, "/api/auth/guest", big, NULL, &r);
	cr_assert_eq(r.status, 413);
	gwc_http_free(&r);
	free(big);
	gw_fixture_stop(&f);
}

Test(gateway_http, rooms_with_store)
{
	struct gw_fixture f;
	struct gwc_http r;
	char path[256], body[512], auth[2100];
	gw_fixture_start(&f, NULL, true, true);

	gwc_http(
	    "POST", f.port, "/api/rooms", "{\"problem\":\"two-sum\",\"name\":\"Ann\"}", NULL, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	json_t *c = body_json(&r);
	gwc_http_free(&r);
	const char *room = json_string_value(json_object_get(c, "room"));
	const char *invite = json_string_value(json_object_get(c, "invite"));
	const char *owner = json_string_value(json_object_get(c, "user"));
	cr_assert_str_eq(json_string_value(json_object_get(c, "role")), "editor");
	struct gw_identity id;
	const char *tok = json_string_value(json_object_get(c, "token"));
	XT_OK(gw_auth_verify(gw_server_auth(f.gw), tok, strlen(tok), time(NULL), &id, NULL));
	cr_assert_str_eq(id.room, room);
	cr_assert_str_eq(id.role, "editor");

	snprintf(path, sizeof(path), "/api/rooms/%s/join", room);
	snprintf(body, sizeof(body), "{\"invite\":\"%s\",\"name\":\"Bea\",\"role\":\"observer\"}",
	    invite);
	gwc_http("POST", f.port, path, body, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *jn = body_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(jn, "role")), "observer");
	cr_assert_str_eq(json_string_value(json_object_get(jn, "problem")), "two-sum");
	json_decref(jn);
	gwc_http_free(&r);

	/* the owner rejoins with their token: still the owner, and editor */
	snprintf(body, sizeof(body), "{\"invite\":\"%s\"}", invite);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	gwc_http("POST", f.port, path, body, auth, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	gwc_http_free(&r);

	snprintf(body, sizeof(body), "{\"invite\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"name\":\"Eve\"}");
	gwc_http("POST", f.port, path, body, NULL, &r);
	cr_assert_eq(r.status, 403);
	gwc_http_free(&r);
	snprintf(
	    body, sizeof(body), "{\"invite\":\"%s\",\"name\":\"Eve\",\"role\":\"admin\"}", invite);
	gwc_http("POST", f.port, path, body, NULL, &r);
	cr_assert_eq(r.status, 400);
	gwc_http_free(&r);
	gwc_http("POST", f.port, path, body, "Authorization: Bearer g1.forged.token", &r);
	cr_assert(r.status == 400 || r.status == 401);
	gwc_http_free(&r);

	snprintf(path, sizeof(path), "/api/rooms/%s", room);
	gwc_http("GET", f.port, path, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *g = body_json(&r);
	cr_assert_str_eq(json_string_value(json_object_get(g, "problem")), "two-sum");
	json_t *members = json_object_get(g, "members");
	cr_assert_eq(json_array_size(members), 2, "%s", r.body);
	bool saw_owner = false;
	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_array_get(members, i);
		if (strcmp(json_string_value(json_object_get(m, "user")), owner) == 0) {
			saw_owner = json_is_true(json_object_get(m, "owner"));
			cr_assert_str_eq(json_string_value(json_object_get(m, "name")), "Ann");
			cr_assert_str_eq(json_string_value(json_object_get(m, "role")), "editor");
		} else {
			cr_assert_str_eq(json_string_value(json_object_get(m, "role")), "observer");
		}
	}
	cr_assert(saw_owner);
	json_decref(g);
	gwc_http_free(&r);

	snprintf(path, sizeof(path), "/api/rooms/%s/timeline?from=1&limit=10", room);
	gwc_http("GET", f.port, path, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *t = body_json(&r);
	cr_assert_eq(json_array_size(json_object_get(t, "events")), 0);
	cr_assert(json_is_null(json_object_get(t, "next")));
	json_decref(t);
	gwc_http_free(&r);
	snprintf(path, sizeof(path), "/api/rooms/%s/timeline?from=x", room);
	gwc_http("GET", f.port, path, NULL, NULL, &r);
	cr_assert_eq(r.status, 400);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/api/rooms/doesnotexist", NULL, NULL, &r);
	cr_assert_eq(r.status, 404);
	gwc_http_free(&r);
	gwc_http("POST", f.port, "/api/rooms/doesnotexist/join",
	    "{\"invite\":\"x\",\"name\":\"a\"}", NULL, &r);
	cr_assert_eq(r.status, 403);
	gwc_http_free(&r);
	gwc_http("GET", f.port, "/api/submissions/s-none", NULL, NULL, &r);
	cr_assert_eq(r.status, 404);
	gwc_http_free(&r);
	gwc_http("POST", f.port, "/api/rooms", "{\"problem\":\"nope\",\"name\":\"Ann\"}", NULL, &r);
	cr_assert_eq(r.status, 400);
	gwc_http_free(&r);
	json_decref(c);
	gw_fixture_stop(&f);
}

Test(gateway_http, rooms_without_store)
{
	struct gw_fixture f;
	struct gwc_http r;
	gw_fixture_start(&f, NULL, true, false);
	gwc_http("POST", f.port, "/api/rooms", "{\"name\":\"Ann\"}", NULL, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	json_t *c = body_json(&r);
	char path[128];
	snprintf(
	    path, sizeof(path), "/api/rooms/%s", json_string_value(json_object_get(c, "room")));
	gwc_http_free(&r);
	gwc_http("GET", f.port, path, NULL, NULL, &r);
	cr_assert_eq(r.status, 503);
	gwc_http_free(&r);
	json_decref(c);
	gw_fixture_stop(&f);
}

/* A msgpack map payload of section 4: {user, name, <k>: <v>} */
static void
event(struct st_event *e, uint16_t type, const char *user, const char *k, int64_t v,
    msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "user", 4);
	msgpack_pack_str(&pk, strlen(user));
	msgpack_pack_str_body(&pk, user, strlen(user));
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "name", 4);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, user[0] == 'a' ? "Ann" : "Bob", 3);
	msgpack_pack_str(&pk, strlen(k));
	msgpack_pack_str_body(&pk, k, strlen(k));
	msgpack_pack_int64(&pk, v);
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ms = 1700000000000 + (int64_t)type * 1000;
	e->payload = (const uint8_t *)sb->data;
	e->len = (uint32_t)sb->size;
}

Test(gateway_http, timeline_and_summary)
{
	struct gw_fixture f;
	struct gwc_http r;
	char path[128];
	gw_fixture_start(&f, NULL, true, true);
	XT_OK(st_user_put(f.store, "a1", "Ann"));
	XT_OK(st_room_create(f.store, "rm1", NULL));
	struct st_event ev[4];
	msgpack_sbuffer sb[4];
	event(&ev[0], ST_EV_YJS, "a1", "inserted", 30, &sb[0]);
	event(&ev[1], ST_EV_YJS, "b2", "inserted", 10, &sb[1]);
	event(&ev[2], ST_EV_CHAT, "a1", "x", 0, &sb[2]);
	event(&ev[3], ST_EV_RUN, "b2", "attempt", 1, &sb[3]);
	XT_OK(st_events_append(f.store, "rm1", ev, 4));
	for (int i = 0; i < 4; i++)
		msgpack_sbuffer_destroy(&sb[i]);

	snprintf(path, sizeof(path), "/api/rooms/rm1/timeline?from=2&limit=2");
	gwc_http("GET", f.port, path, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *t = body_json(&r);
	json_t *evs = json_object_get(t, "events");
	cr_assert_eq(json_array_size(evs), 2);
	json_t *e0 = json_array_get(evs, 0);
	cr_assert_eq(json_integer_value(json_object_get(e0, "seq")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(e0, "type")), "yjs");
	cr_assert_str_eq(json_string_value(json_object_get(e0, "user")), "b2");
	cr_assert_eq(
	    json_integer_value(json_object_get(json_object_get(e0, "data"), "inserted")), 10);
	cr_assert_eq(json_integer_value(json_object_get(t, "next")), 4);
	json_decref(t);
	gwc_http_free(&r);

	gwc_http("GET", f.port, "/api/rooms/rm1/summary", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *s = body_json(&r);
	json_t *people = json_object_get(s, "people");
	cr_assert_eq(json_array_size(people), 2, "%s", r.body);
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_array_get(people, i);
		const char *u = json_string_value(json_object_get(p, "user"));
		bool ann = strcmp(u, "a1") == 0;
		cr_assert_eq(json_integer_value(json_object_get(p, "inserted")), ann ? 30 : 10);
		cr_assert_eq(json_integer_value(json_object_get(p, "chats")), ann ? 1 : 0);
		cr_assert_eq(json_integer_value(json_object_get(p, "runs")), ann ? 0 : 1);
		cr_assert_float_eq(
		    json_real_value(json_object_get(p, "share")), ann ? 0.75 : 0.25, 1e-9);
	}
	cr_assert_eq(json_array_size(json_object_get(s, "typing")), 2);
	json_decref(s);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
}

/* A recorded document update: {user, update, inserted, deleted}. */
static void
update_event(struct st_event *e, const char *user, const uint8_t *u, size_t len, int64_t ins,
    int64_t del, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "user", 4);
	msgpack_pack_str_with_body(&pk, user, strlen(user));
	msgpack_pack_str_with_body(&pk, "update", 6);
	msgpack_pack_bin_with_body(&pk, u, len);
	msgpack_pack_str_with_body(&pk, "inserted", 8);
	msgpack_pack_int64(&pk, ins);
	msgpack_pack_str_with_body(&pk, "deleted", 7);
	msgpack_pack_int64(&pk, del);
	memset(e, 0, sizeof(*e));
	e->type = ST_EV_YJS;
	e->ts_ms = 1700000000000;
	e->payload = (const uint8_t *)sb->data;
	e->len = (uint32_t)sb->size;
}

/*
 * The summary reads the document's structure: Ann types "abc", Bob deletes
 * the b, and Bob's rejoin resends Ann's text and the deletion (as a
 * reconnecting editor's step 2 does).  Counted once, Ann wrote the whole
 * document as it stands; Bob deleted one character.
 */
Test(gateway_http, summary_attributes_the_document)
{
	/* Yjs updates of client 9 typing a, b, c into text "t", and a delete
	 * set naming its clock 1 */
	static const uint8_t ta[] = {1, 1, 9, 0, 4, 1, 1, 't', 1, 'a', 0};
	static const uint8_t tb[] = {1, 1, 9, 1, 0x84, 9, 0, 1, 'b', 0};
	static const uint8_t tc[] = {1, 1, 9, 2, 0x84, 9, 1, 1, 'c', 0};
	static const uint8_t del_b[] = {0, 1, 9, 1, 1, 1};
	struct gw_fixture f;
	struct gwc_http r;
	gw_fixture_start(&f, NULL, true, true);
	XT_OK(st_room_create(f.store, "rm2", NULL));
	struct st_event ev[6];
	msgpack_sbuffer sb[6];
	update_event(&ev[0], "a1", ta, sizeof(ta), 1, 0, &sb[0]);
	update_event(&ev[1], "a1", tb, sizeof(tb), 1, 0, &sb[1]);
	update_event(&ev[2], "a1", tc, sizeof(tc), 1, 0, &sb[2]);
	update_event(&ev[3], "b2", del_b, sizeof(del_b), 0, 1, &sb[3]);
	update_event(&ev[4], "b2", ta, sizeof(ta), 1, 0, &sb[4]);       /* resent */
	update_event(&ev[5], "a1", del_b, sizeof(del_b), 0, 1, &sb[5]); /* resent */
	for (int i = 0; i < 6; i++)
		ev[i].seq = (uint64_t)i + 1;
	XT_OK(st_events_append(f.store, "rm2", ev, 6));
	for (int i = 0; i < 6; i++)
		msgpack_sbuffer_destroy(&sb[i]);

	gwc_http("GET", f.port, "/api/rooms/rm2/summary", NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	json_t *s = body_json(&r);
	cr_assert_eq(json_integer_value(json_object_get(s, "document_length")), 2, "%s", r.body);
	json_t *people = json_object_get(s, "people");
	cr_assert_eq(json_array_size(people), 2, "%s", r.body);
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_array_get(people, i);
		bool ann = strcmp(json_string_value(json_object_get(p, "user")), "a1") == 0;
		cr_assert_eq(json_integer_value(json_object_get(p, "inserted")), ann ? 3 : 0);
		cr_assert_eq(json_integer_value(json_object_get(p, "deleted")), ann ? 0 : 1);
		cr_assert_eq(json_integer_value(json_object_get(p, "in_document")), ann ? 2 : 0);
		cr_assert_float_eq(
		    json_real_value(json_object_get(p, "share")), ann ? 1.0 : 0.0, 1e-9);
	}
	json_decref(s);
	gwc_http_free(&r);
	gw_fixture_stop(&f);
}
