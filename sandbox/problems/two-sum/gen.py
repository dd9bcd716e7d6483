import random


def gen(n: int, seed: int):
    """Return [nums, target] of length max(2, n) with exactly one valid pair.

    Filler values are even and near 5e8, the pair is two odd values near
    zero, so no other pair can reach the target.  For even seeds the pair
    sits at the end: a correct O(n) solution reads everything, and an
    O(n^2) one pays about n^2/2 steps.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(2, n)
    nums = [500000000 + rng.randrange(0, 4 * n + 10) * 2 for _ in range(n - 2)]
    a = rng.randrange(-10 * n - 10, 10 * n + 10) * 2 + 1
    b = rng.randrange(-10 * n - 10, 10 * n + 10) * 2 + 1
    pos = sorted(rng.sample(range(n), 2)) if seed % 2 else [n - 2, n - 1]
    nums.insert(pos[0], a)
    nums.insert(pos[1], b)
    return [nums, a + b]
