/*
 * mp_priv.h - msgpack helpers shared by the room and the runner (prefix
 * `act__`): opening a checked map from outside bytes, reading its fields,
 * packing strings.  Module-internal.
 */
#ifndef ACTORS_MP_PRIV_H
#define ACTORS_MP_PRIV_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Nesting allowed in the app maps the actors decode. */
#define ACT_MP_DEPTH 8

/*
 * act__map_open checks body with tc_mp_check (counts and lengths against
 * the bytes, nesting) and unpacks it into u; it must be exactly one map.
 * On success *map points into u, which the caller destroys with
 * msgpack_unpacked_destroy (also on error: u is always initialised).
 * Returns TC_EPROTO.
 */
enum tc_err act__map_open(
    const uint8_t *body, size_t len, msgpack_unpacked *u, const msgpack_object **map);

/* act__map_get: the value of key in map, or NULL. */
const msgpack_object *act__map_get(const msgpack_object *map, const char *key);

/* act__get_str copies a string value of key (< cap bytes) to out, NUL-terminated. */
bool act__get_str(const msgpack_object *map, const char *key, char *out, size_t cap);

/* act__get_raw borrows a str or bin value of key. */
bool act__get_raw(const msgpack_object *map, const char *key, const uint8_t **p, size_t *len);

/* act__get_u64 reads a non-negative integer value of key. */
bool act__get_u64(const msgpack_object *map, const char *key, uint64_t *out);

/* act__pack_str packs a NUL-terminated string; act__pack_kv_* a key and value. */
void act__pack_str(msgpack_packer *pk, const char *s);
void act__pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
void act__pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v);
void act__pack_kv_raw(msgpack_packer *pk, const char *k, const void *v, size_t len, bool bin);

#endif /* ACTORS_MP_PRIV_H */
