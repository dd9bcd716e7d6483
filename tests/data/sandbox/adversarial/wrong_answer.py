# expect: WRONG_ANSWER
class Solution:
    def add(self, a, b):
        return a - b if a > 3 else a + b
