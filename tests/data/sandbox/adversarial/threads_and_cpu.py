# expect: TIMEOUT
import threading


def spin():
    while True:
        pass


class Solution:
    def add(self, a, b):
        for _ in range(4):
            threading.Thread(target=spin, daemon=True).start()
        spin()
