import random
import string

PRINTABLE = "".join(chr(c) for c in range(32, 127))
ALPHABETS = ("ab", "abc", "abcde", None, string.ascii_lowercase, PRINTABLE)


def gen(n: int, seed: int) -> list:
    """Arguments `[s]`: a string of length n.

    The seed picks the shape: random strings over two letters (many
    repeats, patterns like "abba"), three or five letters, all lowercase
    letters, or all printable ASCII (long windows), or a mirrored string
    such as "xyzzyx", where a repeat's previous occurrence lies before the
    current window.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    alphabet = ALPHABETS[seed % len(ALPHABETS)]
    if alphabet is None:
        letters = rng.sample(string.ascii_lowercase, 13)
        half = [rng.choice(letters) if i >= 13 else letters[i] for i in range((n + 1) // 2)]
        middle = [rng.choice(string.ascii_lowercase)] if rng.random() < 0.5 else []
        return ["".join(half + middle + half[::-1])[:n]]
    return ["".join(rng.choice(alphabet) for _ in range(n))]
