import random

PAIRS = ("()", "[]", "{}")
ALL = "()[]{}"


def _balanced(rng, length):
    """A random balanced string of length `length` (which must be even)."""
    out = []
    stack = []
    opens = length // 2
    while opens or stack:
        if opens and (not stack or rng.random() < 0.5):
            pair = rng.choice(PAIRS)
            out.append(pair[0])
            stack.append(pair[1])
            opens -= 1
        else:
            out.append(stack.pop())
    return out


def gen(n: int, seed: int) -> list:
    """One argument list `[s]` with len(s) about n.

    Small n mixes valid strings, unclosed openers, wrong closer types,
    swapped characters and random strings. For n > 16 every shape makes a
    correct solution scan (almost) the whole string, so the work is linear.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    kind = seed % 5
    if kind == 4 and n > 16:
        kind = 0
    if kind == 4:
        return ["".join(rng.choice(ALL) for _ in range(n))]
    if kind == 1:
        # Balanced string with one extra opener inserted: always invalid.
        # Large inputs get it in front, so the error shows only at the end.
        chars = _balanced(rng, (n - 1) - (n - 1) % 2 if n > 0 else 0)
        chars.insert(rng.randint(0, len(chars)) if n <= 16 else 0, rng.choice("([{"))
        return ["".join(chars)]
    chars = _balanced(rng, n - n % 2)
    if kind == 2 and chars:
        # Replace one closer by a closer of another type.
        closers = [i for i, c in enumerate(chars) if c in ")]}"]
        if n > 16:
            closers = closers[len(closers) * 3 // 4:]
        i = rng.choice(closers)
        chars[i] = rng.choice([c for c in ")]}" if c != chars[i]])
    elif kind == 3 and len(chars) >= 2:
        # Swap two characters: sometimes still valid, often not.
        if n > 16:
            i = rng.randrange(len(chars) * 3 // 4, len(chars) - 1)
            j = i + 1
        else:
            i, j = rng.sample(range(len(chars)), 2)
        chars[i], chars[j] = chars[j], chars[i]
    return ["".join(chars)]
