# expect: RUNTIME_ERROR|MEMORY_LIMIT|TIMEOUT
# huge_recursion_limit: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    sys.setrecursionlimit(10 ** 8)
    def f(n):
        return f(n + 1) + 1
    f(0)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
