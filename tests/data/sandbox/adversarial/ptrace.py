# expect: ACCEPTED
# ptrace: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in (1, os.getppid()):
        if libc.ptrace(16, pid, 0, 0) == 0:  # PTRACE_ATTACH
            print("ESCAPED ptrace", pid)
    if libc.ptrace(0, 0, 0, 0) == 0:  # PTRACE_TRACEME
        print("ESCAPED traceme")


class Solution:
    def add(self, a, b):
        attack()
        return a + b
