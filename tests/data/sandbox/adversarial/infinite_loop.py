# expect: TIMEOUT
# infinite_loop: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    while True:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
