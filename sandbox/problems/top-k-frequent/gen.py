import random
from collections import Counter


def gen(n: int, seed: int) -> list:
    """Arguments `[nums, k]`: n integers and a k with a unique answer.

    Values get random weights so frequencies differ; k is drawn among the
    positions where the sorted frequencies strictly drop (or is the number
    of distinct values), which is what makes the answer unique. Most inputs
    get a k that leaves some values out.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(1, n)
    if n <= 64:
        distinct = rng.randint(1, max(1, (n + 1) // 2))
    else:
        distinct = rng.randint(n // 4, n // 2)  # many values: ranking them is real work
    span = 10 * n + 10
    values = rng.sample(range(-span, span), distinct)
    weights = [rng.randint(1, 6) for _ in values]
    if seed % 2 == 0:
        # Smaller values are more frequent: ranking by value gives the wrong answer.
        values.sort()
        weights.sort(reverse=True)
    nums = rng.choices(values, weights=weights, k=n)
    counts = sorted(Counter(nums).values(), reverse=True)
    ks = [i for i in range(1, len(counts) + 1) if i == len(counts) or counts[i - 1] > counts[i]]
    if len(ks) > 1 and rng.random() < 0.75:
        ks.pop()  # prefer a k that leaves some values out
    return [nums, rng.choice(ks)]
