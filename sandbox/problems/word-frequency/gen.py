import random

SEPARATORS = (" ", " ", " ", "  ", "\n", ", ", ". ", "! ", "\t", "-", "'", " 42 ", "7", ": ")


def _case(rng, word, mode):
    if mode == 0:
        return word
    if mode == 1:
        return word.upper() if rng.random() < 0.3 else word
    return rng.choice((word, word.capitalize(), word.upper()))


def gen(n: int, seed: int) -> str:
    """The stdin text: about n words over a vocabulary of up to n/2 words.

    Odd seeds skew word choice so counts differ; even seeds draw words
    evenly so counts tie often. The seed also picks how much the case is
    mixed and whether the text is padded with separators.
    """
    rng = random.Random(n * 1000003 + seed)
    n = max(0, n)
    size = rng.randint(1, max(1, n // 2 + 1))
    vocab = []
    seen = set()
    while len(vocab) < size:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 6)))
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    weights = [1.0 / (i + 1) if seed % 2 else 1.0 for i in range(size)]
    words = rng.choices(vocab, weights=weights, k=n)
    mode = seed % 3
    parts = []
    if seed % 4 == 3:
        parts.append(rng.choice(SEPARATORS))
    for i, word in enumerate(words):
        if i:
            parts.append(rng.choice(SEPARATORS))
        parts.append(_case(rng, word, mode))
    if seed % 2:
        parts.append("\n")
    return "".join(parts)
