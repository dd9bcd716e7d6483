# expect: ACCEPTED
# hardlink_trick: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    os.chdir("/tmp")
    for i, src in enumerate(("/etc/passwd", "/usr/bin/python3.11", "@@CANARY@@/canary")):
        try:
            os.link(src, "h%d" % i)
            print("ESCAPED link", src)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
