import re
import sys
from collections import Counter


def main() -> None:
    words = re.findall(r"[A-Za-z]+", sys.stdin.read())
    counts = Counter(word.lower() for word in words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    sys.stdout.write("".join("%s %d\n" % (word, count) for word, count in ranked))


main()
