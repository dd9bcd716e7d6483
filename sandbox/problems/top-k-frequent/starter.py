class Solution:
    def topKFrequent(self, nums: list[int], k: int) -> list[int]:
        pass
