# expect: RUNTIME_ERROR
# exception: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    1 / 0


class Solution:
    def add(self, a, b):
        attack()
        return a + b
