import heapq


class Solution:
    def findKthLargest(self, nums: list[int], k: int) -> int:
        # Min-heap of the k largest values seen so far; its root is the answer.
        heap = nums[:k]
        heapq.heapify(heap)
        for value in nums[k:]:
            if value > heap[0]:
                heapq.heapreplace(heap, value)
        return heap[0]
