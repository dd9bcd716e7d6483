# expect: ACCEPTED
# disk_fill: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    try:
        with open("/tmp/fill", "wb") as f:
            while True:
                f.write(b"x" * (1 << 20))
    except OSError:
        pass
    for path in ("/fill", "/usr/fill", "@@CANARY@@/fill"):
        try:
            open(path, "wb").write(b"x")
            print("ESCAPED", path)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
