class Solution:
    def numIslands(self, grid: list[list[str]]) -> int:
        pass
