import random


def gen(n: int, seed: int) -> list:
    """Arguments `[nums, target]`: n distinct sorted integers and a target.

    The seed picks the target: present (often at either end), absent inside
    the range, or outside the range on either side.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    span = 4 * n + 8
    nums = sorted(rng.sample(range(-span, span), n))
    kind = seed % 4
    if n and kind in (0, 1):
        if kind == 0 and rng.random() < 0.5:
            target = nums[rng.choice((0, n - 1))]
        else:
            target = nums[rng.randrange(n)]
    elif kind == 2:
        present = set(nums)
        gaps = [v for v in range(nums[0] - 1, nums[-1] + 2) if v not in present] if n else []
        target = rng.choice(gaps) if gaps else rng.randint(-span, span)
    else:
        low = nums[0] if n else 0
        high = nums[-1] if n else 0
        target = low - rng.randint(1, 5) if rng.random() < 0.5 else high + rng.randint(1, 5)
    return [nums, target]
