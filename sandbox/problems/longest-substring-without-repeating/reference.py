class Solution:
    def lengthOfLongestSubstring(self, s: str) -> int:
        last = {}
        best = 0
        start = 0
        for i, ch in enumerate(s):
            j = last.get(ch, -1)
            if j >= start:
                start = j + 1
            last[ch] = i
            if i - start + 1 > best:
                best = i - start + 1
        return best
