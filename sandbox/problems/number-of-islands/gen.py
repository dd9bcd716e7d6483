import math
import random

DENSITIES = (0.3, 0.4, 0.6, None, 0.8)  # None: diagonal-heavy pattern


def gen(n: int, seed: int) -> list:
    """Arguments `[grid]`: a grid of about n cells.

    Small n gives a single row, a single column or a near-square grid;
    larger n gives a near-square grid. The seed picks the land density, or
    a checkerboard-like pattern where many land cells touch only diagonally.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(1, n)
    square = math.isqrt(n)
    rows = rng.choice((1, square, square, n)) if n <= 64 else square
    cols = max(1, n // rows)
    p = DENSITIES[seed % len(DENSITIES)]
    if p is None:
        grid = [["1" if rng.random() < (0.85 if (r + c) % 2 == 0 else 0.15) else "0"
                 for c in range(cols)] for r in range(rows)]
    else:
        grid = [["1" if rng.random() < p else "0" for _ in range(cols)] for _ in range(rows)]
    return [grid]
