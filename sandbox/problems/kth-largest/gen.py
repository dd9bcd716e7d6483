import random


def gen(n: int, seed: int) -> list:
    """Arguments `[nums, k]`: n integers and 1 <= k <= n.

    The seed picks the value range: tiny ranges (many duplicates, all equal)
    through wide ranges with negatives.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(1, n)
    bound = (1, n, 3, 10**9)[seed % 4]
    nums = [rng.randint(-bound, bound) for _ in range(n)]
    return [nums, rng.randint(1, n)]
