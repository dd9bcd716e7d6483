# expect: RUNTIME_ERROR
# fd_exhaustion: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    fds = []
    while True:
        fds.append(os.open("/dev/null", os.O_RDONLY))


class Solution:
    def add(self, a, b):
        attack()
        return a + b
