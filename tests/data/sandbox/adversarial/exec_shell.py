# expect: ACCEPTED
# exec_shell: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    if os.system("echo ESCAPED shell") == 0:
        print("ESCAPED system")
    try:
        os.execv("/bin/sh", ["sh", "-c", "echo ESCAPED exec"])
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
