class Solution:
    def search(self, nums: list[int], target: int) -> int:
        pass
