# expect: ACCEPTED
# read_other_submission: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    try:
        print("ESCAPED", open("@@OTHER@@/solution.py").read()[:80])
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
