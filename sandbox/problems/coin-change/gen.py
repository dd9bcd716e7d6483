import random

# Coin sets where taking the largest coin first is not optimal.
NON_CANONICAL = ([1, 3, 4], [1, 4, 5], [1, 5, 6], [2, 3, 7], [1, 6, 9])


def gen(n: int, seed: int) -> list:
    """Arguments `[coins, amount]`: three distinct coins and amount = 2n.

    The number of coins is fixed, so the reference's work grows linearly
    with n. Seeds divisible by 4 use a coin set that defeats greedy
    solutions; the others draw three coins from 1..12, where sets without
    a 1 make some amounts impossible.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    if seed % 4 == 0:
        coins = list(rng.choice(NON_CANONICAL))
        rng.shuffle(coins)
    else:
        coins = rng.sample(range(1, 13), 3)
    return [coins, 2 * n]
