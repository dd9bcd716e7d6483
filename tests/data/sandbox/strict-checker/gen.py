import random


def gen(n: int, seed: int):
    rng = random.Random(n * 7919 + seed)
    return [rng.randrange(-n, n + 1), rng.randrange(-n, n + 1)]
