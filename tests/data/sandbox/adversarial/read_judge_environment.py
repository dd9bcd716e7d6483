# expect: ACCEPTED
# read_judge_environment: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    print(dict(os.environ))
    for path in ("/proc/1/environ", "/proc/self/environ", "/proc/1/cmdline"):
        try:
            print(open(path, "rb").read()[:200])
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
