# expect: ACCEPTED
# write_outside_tmp: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for path in ("/pwned", "/usr/pwned", "/etc/pwned", "@@CANARY@@/pwned", "@@OTHER@@/pwned"):
        try:
            open(path, "w").write("x")
            print("ESCAPED", path)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
