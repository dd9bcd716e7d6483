# expect: OUTPUT_LIMIT
# output_flood: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    while True:
        print("x" * 4096)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
