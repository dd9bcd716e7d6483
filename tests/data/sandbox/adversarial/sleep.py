# expect: TIMEOUT
# sleep: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    time.sleep(3600)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
