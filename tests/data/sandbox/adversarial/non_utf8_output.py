# expect: ACCEPTED
# non_utf8_output: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    sys.stdout.flush()
    os.write(1, b"\xff\xfe\x80 bad bytes \xc3\x28 \xed\xa0\x80\n")
    os.write(2, b"\xff\x00 stderr\n")


class Solution:
    def add(self, a, b):
        attack()
        return a + b
