def check(input, expected, actual):
    """Rejects every answer: only the judge's equal-to-expected rule accepts."""
    return False
