/*
 * test_text.c - what the gateway reads from requests: paths (no
 * traversal), MIME types, SPA routes, query strings, Origins.
 */
#include <string.h>

#include "gw_priv.h"
#include "xt.h"

Test(gateway_text, path_clean_accepts_plain_paths)
{
	char out[GW_PATH_MAX + 1];
	XT_OK(gw__path_clean("/", out, sizeof(out)));
	cr_assert_str_eq(out, "");
	XT_OK(gw__path_clean("/assets/app-1.js", out, sizeof(out)));
	cr_assert_str_eq(out, "assets/app-1.js");
	XT_OK(gw__path_clean("//a/./b//c/", out, sizeof(out)));
	cr_assert_str_eq(out, "a/b/c");
}

Test(gateway_text, path_clean_refuses_traversal)
{
	static const char *const bad[] = {"/..", "/../etc/passwd", "/a/../../b", "/a/..", "/.env",
	    "/a/.git/config", "/a\\..\\b", "/a\x01", "/..%2f"};
	char out[GW_PATH_MAX + 1];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(gw__path_clean(bad[i], out, sizeof(out)), TC_EPERM);
	XT_ERR(gw__path_clean("etc/passwd", out, sizeof(out)), TC_EINVAL);
	XT_ERR(gw__path_clean("/abcdef", out, 4), TC_ETOOBIG);
}

Test(gateway_text, mime_types)
{
	cr_assert_str_eq(gw__mime_type("index.html"), "text/html; charset=utf-8");
	cr_assert_str_eq(gw__mime_type("assets/a.JS"), "text/javascript; charset=utf-8");
	cr_assert_str_eq(gw__mime_type("a.css"), "text/css; charset=utf-8");
	cr_assert_str_eq(gw__mime_type("a.wasm"), "application/wasm");
	cr_assert_str_eq(gw__mime_type("a.svg"), "image/svg+xml");
	cr_assert_str_eq(gw__mime_type("x.v1/blob"), "application/octet-stream");
	cr_assert_str_eq(gw__mime_type("noext"), "application/octet-stream");
}

Test(gateway_text, spa_routes)
{
	cr_assert(gw__spa_route("room/abc"));
	cr_assert(gw__spa_route("replay/x1"));
	cr_assert_not(gw__spa_route("assets/missing.js"));
	cr_assert_not(gw__spa_route("favicon.ico"));
}

Test(gateway_text, query_get_decodes)
{
	char out[64];
	size_t n;
	const char *q = "a=1&token=ab%2Bc+d&empty=&x";
	XT_OK(gw__query_get(q, strlen(q), "token", out, sizeof(out), &n));
	cr_assert_str_eq(out, "ab+c d");
	cr_assert_eq(n, 6);
	XT_OK(gw__query_get(q, strlen(q), "a", out, sizeof(out), &n));
	cr_assert_str_eq(out, "1");
	XT_OK(gw__query_get(q, strlen(q), "empty", out, sizeof(out), &n));
	cr_assert_eq(n, 0);
	XT_ERR(gw__query_get(q, strlen(q), "x", out, sizeof(out), &n), TC_ENOENT);
	XT_ERR(gw__query_get(q, strlen(q), "tok", out, sizeof(out), &n), TC_ENOENT);
	XT_ERR(gw__query_get("t=%4", 4, "t", out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw__query_get("t=%zz", 5, "t", out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw__query_get("t=%00", 5, "t", out, sizeof(out), &n), TC_EPROTO);
	XT_ERR(gw__query_get("t=abcdef", 8, "t", out, 4, &n), TC_ETOOBIG);
	/* only len bytes are read */
	XT_OK(gw__query_get("t=abcdef", 5, "t", out, sizeof(out), &n));
	cr_assert_str_eq(out, "abc");
}

Test(gateway_text, origins)
{
	const char *list[] = {"https://app.example"};
	const char *any[] = {"*"};
	cr_assert(gw__origin_allowed(NULL, "h:1", NULL, 0));
	cr_assert(gw__origin_allowed("http://localhost:8080", "localhost:8080", NULL, 0));
	cr_assert(gw__origin_allowed("https://LOCALHOST:8080", "localhost:8080", NULL, 0));
	cr_assert_not(gw__origin_allowed("http://evil.example", "localhost:8080", NULL, 0));
	cr_assert_not(gw__origin_allowed("http://localhost:8080.evil", "localhost:8080", NULL, 0));
	cr_assert_not(gw__origin_allowed("null", "localhost:8080", NULL, 0));
	cr_assert_not(gw__origin_allowed("http://x", NULL, NULL, 0));
	cr_assert(gw__origin_allowed("https://app.example", "other:1", list, 1));
	cr_assert_not(gw__origin_allowed("http://localhost:8080", "localhost:8080", list, 1));
	cr_assert(gw__origin_allowed("http://anything", "x", any, 1));
}
