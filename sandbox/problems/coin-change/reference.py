class Solution:
    def coinChange(self, coins: list[int], amount: int) -> int:
        unreachable = amount + 1
        best = [0] + [unreachable] * amount
        for coin in coins:
            for total in range(coin, amount + 1):
                candidate = best[total - coin] + 1
                if candidate < best[total]:
                    best[total] = candidate
        return best[amount] if best[amount] != unreachable else -1
