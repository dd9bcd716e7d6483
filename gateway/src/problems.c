/*
 * problems.c - the bundled problem catalogue, read once at start.
 *
 * Design notes: only the files a browser may see are opened:
 * problem.json, statement.md, starter.py and the public tests.  Hidden
 * tests, the reference solution, the generator and the checker are never
 * read, so no bug in a handler can leak them.  Answers are rendered to JSON
 * text once; serving one is a copy, with no file I/O on the service thread.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "gw_priv.h"

#define PROBLEMS_MAX 256
#define FILE_MAX (256u * 1024)
#define SAMPLES_MAX 32

struct problem {
	char slug[GW_ROOM_MAX + 1];
	char title[129];
	int64_t time_ms, mem_mb;
	char *json;
};

struct gw_problems {
	size_t n;
	struct problem *p;
	char *list_json;
};

/* join writes a "/" b into out; false when it does not fit. */
static bool
join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s/%s", a, b);
	return n > 0 && (size_t)n < cap;
}

static char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the names in dir ending in suffix (sorted); caller frees. */
static size_t
list_dir(const char *dir, const char *suffix, bool dirs, char ***out, size_t max)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	*out = NULL;
	if (d == NULL)
		return 0;
	names = calloc(max, sizeof(*names));
	while (names != NULL && (e = readdir(d)) != NULL && n < max) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (e->d_name[0] == '.' || l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		if (dirs && e->d_type != DT_DIR && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (names == NULL)
		return 0;
	qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

static void
free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* pick: o[k] with a new reference, or a new value of the fallback's kind
 * ('n' null, 'a' array, 'o' object, 'f' the string "function"). */
static json_t *
pick(json_t *o, const char *k, char fallback)
{
	json_t *v = json_object_get(o, k);
	if (v != NULL)
		return json_incref(v);
	switch (fallback) {
	case 'a':
		return json_array();
	case 'o':
		return json_object();
	case 'f':
		return json_string("function");
	default:
		return json_null();
	}
}

static json_t *
load_samples(const char *pdir)
{
	char dir[4096], path[4096];
	char **names;
	json_t *arr = json_array();

	if (!join(dir, sizeof(dir), pdir, "tests/public"))
		return arr;
	size_t n = list_dir(dir, ".json", false, &names, SAMPLES_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		char *text = join(path, sizeof(path), dir, names[i])
		                 ? read_file(path, FILE_MAX, &len)
		                 : NULL;
		json_t *t = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
		free(text);
		if (json_is_object(t) && json_object_get(t, "input") != NULL) {
			json_t *s = json_object();
			json_t *name = json_object_get(t, "name");
			json_object_set_new(s, "name",
			    json_is_string(name) ? json_incref(name) : json_string(names[i]));
			json_object_set_new(s, "input", pick(t, "input", 'n'));
			json_object_set_new(s, "expected", pick(t, "expected", 'n'));
			json_array_append_new(arr, s);
		}
		json_decref(t);
	}
	free_list(names, n);
	return arr;
}

static bool
load_one(const char *root, const char *slug, struct problem *p, json_t *list)
{
	char pdir[4096], path[4096];
	size_t len = 0;
	json_t *meta = NULL, *detail = NULL;
	bool ok = false;

	if (!gw_id_valid(slug, GW_ROOM_MAX))
		return false;
	if (!join(pdir, sizeof(pdir), root, slug) ||
	    !join(path, sizeof(path), pdir, "problem.json"))
		return false;
	char *text = read_file(path, FILE_MAX, &len);
	if (text == NULL)
		return false;
	meta = json_loadb(text, len, 0, NULL);
	free(text);
	json_t *jslug = json_object_get(meta, "slug");
	json_t *jtitle = json_object_get(meta, "title");
	if (!json_is_object(meta) || !json_is_string(jslug) ||
	    strcmp(json_string_value(jslug), slug) != 0 || !json_is_string(jtitle)) {
		tc_log(
		    TC_LOG_WARN, "gateway", "problem %s: problem.json lacks slug or title", slug);
		goto out;
	}
	snprintf(p->slug, sizeof(p->slug), "%s", slug);
	snprintf(p->title, sizeof(p->title), "%s", json_string_value(jtitle));
	json_t *limits = json_object_get(meta, "limits");
	p->time_ms = json_integer_value(json_object_get(limits, "time_ms"));
	p->mem_mb = json_integer_value(json_object_get(limits, "mem_mb"));

	json_t *summary = json_pack("{s:s, s:s, s:o, s:o, s:o}", "slug", slug, "title",
	    json_string_value(jtitle), "difficulty", pick(meta, "difficulty", 'n'), "tags",
	    pick(meta, "tags", 'a'), "style", pick(meta, "style", 'f'));
	detail = json_deep_copy(summary);
	json_array_append_new(list, summary);

	char *statement =
	    join(path, sizeof(path), pdir, "statement.md") ? read_file(path, FILE_MAX, NULL) : NULL;
	char *starter =
	    join(path, sizeof(path), pdir, "starter.py") ? read_file(path, FILE_MAX, NULL) : NULL;
	json_t *st = json_string(statement != NULL ? statement : "");
	json_t *sp = json_string(starter != NULL ? starter : "");
	free(statement);
	free(starter);
	json_object_set_new(detail, "statement", st != NULL ? st : json_string(""));
	json_object_set_new(detail, "starter", sp != NULL ? sp : json_string(""));
	json_object_set_new(detail, "samples", load_samples(pdir));
	json_object_set_new(detail, "limits", pick(meta, "limits", 'o'));
	json_t *cx = json_object_get(meta, "complexity");
	json_object_set_new(detail, "complexity",
	    json_is_object(cx)
	        ? json_pack("{s:O}", "class",
	              json_object_get(cx, "class") ? json_object_get(cx, "class") : json_null())
	        : json_null());
	p->json = json_dumps(detail, JSON_COMPACT);
	ok = p->json != NULL;
out:
	json_decref(meta);
	json_decref(detail);
	return ok;
}

enum tc_err
gw__problems_load(const char *dir, struct gw_problems **out)
{
	struct gw_problems *ps = calloc(1, sizeof(*ps));
	json_t *list = json_array();
	char **names = NULL;
	size_t n = 0;

	if (ps == NULL || list == NULL) {
		free(ps);
		json_decref(list);
		return TC_ENOMEM;
	}
	if (dir != NULL && dir[0] != '\0') {
		n = list_dir(dir, "", true, &names, PROBLEMS_MAX);
		if (n == 0)
			tc_log(TC_LOG_WARN, "gateway", "no problems found in %s", dir);
	}
	ps->p = calloc(n > 0 ? n : 1, sizeof(*ps->p));
	for (size_t i = 0; ps->p != NULL && i < n; i++)
		if (load_one(dir, names[i], &ps->p[ps->n], list))
			ps->n++;
	free_list(names, n);
	ps->list_json = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (ps->p == NULL || ps->list_json == NULL) {
		gw__problems_free(ps);
		return TC_ENOMEM;
	}
	*out = ps;
	return TC_OK;
}

void
gw__problems_free(struct gw_problems *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; ps->p != NULL && i < ps->n; i++)
		free(ps->p[i].json);
	free(ps->p);
	free(ps->list_json);
	free(ps);
}

const char *
gw__problems_list_json(const struct gw_problems *ps)
{
	return ps->list_json;
}

static const struct problem *
find(const struct gw_problems *ps, const char *slug)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].slug, slug) == 0)
			return &ps->p[i];
	return NULL;
}

const char *
gw__problem_json(const struct gw_problems *ps, const char *slug)
{
	const struct problem *p = find(ps, slug);
	return p != NULL ? p->json : NULL;
}

bool
gw__problem_info(const struct gw_problems *ps, const char *slug, char *title, size_t cap,
    int64_t *time_ms, int64_t *mem_mb)
{
	const struct problem *p = find(ps, slug);
	if (p == NULL)
		return false;
	snprintf(title, cap, "%s", p->title);
	*time_ms = p->time_ms;
	*mem_mb = p->mem_mb;
	return true;
}
