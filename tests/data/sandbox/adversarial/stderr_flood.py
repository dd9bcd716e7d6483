# expect: OUTPUT_LIMIT
# stderr_flood: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    while True:
        sys.stderr.write("y" * 4096)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
