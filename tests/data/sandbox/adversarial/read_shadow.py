# expect: ACCEPTED
# read_shadow: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for path in ("/etc/shadow", "/etc/passwd", "/root/.bashrc"):
        try:
            open(path).read()
            print("ESCAPED", path)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
