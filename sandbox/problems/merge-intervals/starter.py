class Solution:
    def merge(self, intervals: list[list[int]]) -> list[list[int]]:
        pass
