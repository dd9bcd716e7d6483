# expect: MEMORY_LIMIT
# memory_one_block: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    x = bytearray(4 << 30)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
