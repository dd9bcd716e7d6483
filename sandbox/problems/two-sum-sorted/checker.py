def check(input, expected, actual) -> bool:
    """Accept any valid pair of 1-based indices; `[]` only when no pair exists.

    `input` is `[numbers, target]`, `expected` the reference's answer (which
    is `[]` exactly when no pair exists), `actual` the submission's answer.
    """
    numbers, target = input
    if not isinstance(actual, (list, tuple)):
        return False
    if not expected:
        return len(actual) == 0
    if len(actual) != 2:
        return False
    i, j = actual
    if type(i) is not int or type(j) is not int:
        return False
    return 1 <= i < j <= len(numbers) and numbers[i - 1] + numbers[j - 1] == target
