import random


def gen(n: int, seed: int) -> list:
    """Arguments `[intervals]`: n unsorted closed intervals.

    Coordinates stay in a range of about 3n so small inputs are full of
    touching, nested, duplicate and point intervals. The seed picks the
    shape: short intervals, short intervals shifted into negative numbers,
    long intervals, or a chain where each interval starts where an earlier
    one ends or inside it.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    span = 3 * n + 3
    kind = seed % 4
    intervals = []
    if kind == 3:
        for _ in range(n):
            if intervals and rng.random() < 0.8:
                base = rng.choice(intervals)
                start = base[1] if rng.random() < 0.5 else rng.randint(base[0], base[1])
            else:
                start = rng.randint(0, span)
            intervals.append([start, start + rng.randint(0, 3)])
    else:
        offset = -rng.randint(0, span) if kind == 1 else 0
        max_len = (1, 3, n + 1)[kind]
        for _ in range(n):
            start = rng.randint(0, span) + offset
            intervals.append([start, start + rng.randint(0, max_len)])
    rng.shuffle(intervals)
    return [intervals]
