# expect: MEMORY_LIMIT|TIMEOUT
# (zero-filling pages: on a slow host filling memory can outlast the wall limit)
# memory_bomb: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    x = []
    while True:
        x.append(bytearray(32 << 20))


class Solution:
    def add(self, a, b):
        attack()
        return a + b
