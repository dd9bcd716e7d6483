import random
from collections import OrderedDict


def gen(n: int, seed: int) -> dict:
    """`{"ops", "args"}`: the constructor then n get/put calls.

    The generator tracks what an LRU cache would hold so that, even for
    tiny n, calls touch the least recently used key, insert new keys that
    force evictions, ask for the key just evicted, and update present
    keys. Most seeds start by filling the cache. Small n uses capacities
    1..3; large n uses capacities up to n/8 so the cache holds many keys.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    capacity = rng.choice((1, 2, 2, 3)) if n <= 16 else rng.randint(1, max(1, n // 8))
    ops = ["LRUCache"]
    args = [[capacity]]
    cache = OrderedDict()  # key -> None, least recently used first
    just_evicted = None
    next_key = rng.randint(0, 3)
    touched = False  # the last call touched the least recently used key of a full cache
    fill = capacity if seed % 4 != 3 else 0  # most seeds start by filling the cache
    for i in range(n):
        oldest = next(iter(cache)) if cache else None
        if just_evicted is not None and rng.random() < 0.6:
            op, key = "get", just_evicted
        elif i < fill or (touched and rng.random() < 0.7):
            op, key = "put", next_key
            next_key += rng.randint(1, 2)
        elif len(cache) >= capacity and rng.random() < 0.6:
            op, key = rng.choice(("get", "put")), oldest
        elif cache and rng.random() < 0.3:
            op, key = rng.choice(("get", "put")), rng.choice(list(cache) if len(cache) <= 8 else [oldest])
        elif rng.random() < 0.05:
            op, key = "get", next_key + 1  # a key never stored
        else:
            op, key = "put", next_key
            next_key += rng.randint(1, 2)
        touched = key == oldest and len(cache) >= capacity
        just_evicted = None
        if key in cache:
            cache.move_to_end(key)
        elif op == "put":
            if len(cache) >= capacity:
                just_evicted = cache.popitem(last=False)[0]
            cache[key] = None
        ops.append(op)
        args.append([key, rng.randint(0, 100)] if op == "put" else [key])
    return {"ops": ops, "args": args}
