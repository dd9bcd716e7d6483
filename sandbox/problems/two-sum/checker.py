def check(input, expected, actual):
    """Any pair of distinct indices whose values sum to the target."""
    nums, target = input
    if not isinstance(actual, list) or len(actual) != 2:
        return False
    i, j = actual
    if type(i) is not int or type(j) is not int:
        return False
    if i == j or not (0 <= i < len(nums)) or not (0 <= j < len(nums)):
        return False
    return nums[i] + nums[j] == target
