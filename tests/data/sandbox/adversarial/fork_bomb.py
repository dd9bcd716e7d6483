# expect: TIMEOUT
# fork_bomb: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    while True:
        try:
            os.fork()
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
