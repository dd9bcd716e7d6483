# expect: RUNTIME_ERROR
# syscall_x32: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(0x40000000 | 39)  # x32 getpid
    print("ESCAPED x32")


class Solution:
    def add(self, a, b):
        attack()
        return a + b
