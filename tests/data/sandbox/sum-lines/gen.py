import random


def gen(n: int, seed: int):
    rng = random.Random(seed)
    return "".join("%d %d\n" % (rng.randrange(-9, 10), rng.randrange(-9, 10)) for _ in range(n))
