class Solution:
    def twoSum(self, numbers: list[int], target: int) -> list[int]:
        pass
