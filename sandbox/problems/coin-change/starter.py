class Solution:
    def coinChange(self, coins: list[int], amount: int) -> int:
        pass
