# expect: RUNTIME_ERROR
# recursion: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    def f(n):
        return f(n + 1) + 1
    f(0)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
