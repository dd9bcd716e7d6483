# expect: RUNTIME_ERROR
# close_inherited_fds: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for fd in range(0, 64):
        try:
            os.close(fd)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
