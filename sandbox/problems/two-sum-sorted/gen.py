import random


def gen(n: int, seed: int) -> list:
    """Arguments `[numbers, target]`: n sorted integers (repeats allowed).

    Small n: the seed picks a target made from two random positions (often
    with several valid pairs), twice a present value, or a target no pair
    reaches. Larger n (n > 16) keeps the two-pointer scan long: either no
    pair exists, or the only pairs use the single odd value, placed near
    the middle of an otherwise all-even list.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    span = 2 * n + 2
    kind = seed % 3
    if n > 16:
        if kind == 0:
            evens = sorted(2 * rng.randint(-span, span) for _ in range(n - 1))
            mid = evens[len(evens) // 2 + rng.randint(-2, 2)]
            odd = mid + 1 + 2 * rng.randint(0, 2)
            numbers = sorted(evens + [odd])
            partner = numbers[len(numbers) // 2 + rng.randint(-3, 3)]
            if partner == odd:
                partner = mid
            return [numbers, odd + partner]
        numbers = sorted(rng.randint(-span, span) for _ in range(n))
        return [numbers, 2 * numbers[-1] + rng.randint(1, 3)]
    numbers = sorted(rng.randint(-span, span) for _ in range(n))
    if kind == 0 and n >= 2:
        i, j = rng.sample(range(n), 2)
        target = numbers[i] + numbers[j]
    elif kind == 1 and n >= 1:
        target = 2 * numbers[rng.randrange(n)]
    else:
        # Larger than any pair sum: no pair exists.
        target = 2 * (numbers[-1] if n else 0) + rng.randint(1, 3)
    return [numbers, target]
