import sys


def main() -> None:
    text = sys.stdin.read()
    # Print one "word count" line per distinct word.
    pass


main()
