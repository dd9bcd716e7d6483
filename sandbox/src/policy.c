/*
 * sandbox/src/policy.c - policy defaults and parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbx_priv.h"

void
sbx_policy_init(struct sbx_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->cpu_ms = 2000;
	p->wall_ms = 0; /* 0: derived from cpu_ms (2x + 200 ms) */
	p->mem_mb = 256;
	p->max_procs = 64;
	p->max_files = 64;
	p->max_file_bytes = 16ull << 20;
	p->max_output_bytes = 8ull << 20;
	p->max_source_bytes = 1u << 20;
	p->ro_binds[0] = "/usr";
	p->ro_binds[1] = "/lib";
	p->ro_binds[2] = "/lib64";
	p->ro_binds[3] = "/etc/ld.so.cache";
	p->ro_binds[4] = "/sys/kernel/mm/transparent_hugepage";
	p->nbinds = 5;
	p->tmpfs_kb = 16 * 1024;
	p->nenv = 0;
	p->uid = 65534;
	p->level = SBX_LEVEL_FULL;
}

static const char *const level_names[] = {"none", "container", "full"};

const char *
sbx_level_name(enum sbx_level level)
{
	return (unsigned)level <= SBX_LEVEL_FULL ? level_names[level] : "unknown";
}

enum tc_err
sbx_level_parse(const char *name, enum sbx_level *out)
{
	for (int i = 0; i <= SBX_LEVEL_FULL; i++) {
		if (name && strcmp(name, level_names[i]) == 0) {
			*out = (enum sbx_level)i;
			return TC_OK;
		}
	}
	return TC_EINVAL;
}

/* A plain decimal number in [lo, hi]: no sign, no spaces, no suffix. */
static enum tc_err
parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 10)
		return TC_EINVAL;
	unsigned long v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return TC_EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < lo || v > hi)
		return TC_EINVAL;
	*out = v;
	return TC_OK;
}

enum tc_err
sbx_policy_set(struct sbx_policy *p, const char *key, const char *value)
{
	unsigned long v;
	if (key == NULL)
		return TC_EINVAL;
	if (strcmp(key, "SANDBOX_LEVEL") == 0) {
		enum sbx_level l;
		if (sbx_level_parse(value, &l) != TC_OK)
			return TC_EINVAL;
		p->level = l;
		return TC_OK;
	}
	struct {
		const char *key;
		unsigned long lo, hi;
		unsigned *field;
	} const num[] = {
	    {"TIME_LIMIT_MS", 1, 60000, &p->cpu_ms},
	    {"WALL_LIMIT_MS", 1, 120000, &p->wall_ms},
	    {"MEM_LIMIT_MB", 16, 8192, &p->mem_mb},
	    {"MAX_PROCS", 1, 4096, &p->max_procs},
	    {"MAX_FILES", 8, 65536, &p->max_files},
	    {"SANDBOX_UID", 1, 4294967294ul, &p->uid},
	};
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		if (strcmp(key, num[i].key) != 0)
			continue;
		if (parse_uint(value, num[i].lo, num[i].hi, &v) != TC_OK)
			return TC_EINVAL;
		*num[i].field = (unsigned)v;
		return TC_OK;
	}
	return TC_ENOENT;
}

enum tc_err
sbx_policy_from_env(struct sbx_policy *p)
{
	static const char *const keys[] = {"TIME_LIMIT_MS", "MEM_LIMIT_MB", "SANDBOX_LEVEL"};
	struct sbx_policy tmp = *p;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = getenv(keys[i]);
		if (v != NULL && sbx_policy_set(&tmp, keys[i], v) != TC_OK)
			return TC_EINVAL;
	}
	*p = tmp;
	return TC_OK;
}
