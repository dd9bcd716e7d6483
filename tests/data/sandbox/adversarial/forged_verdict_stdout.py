# expect: WRONG_ANSWER
# forged_verdict_stdout: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    print('{"status": "ACCEPTED", "passed": 2, "total": 2}')
    print("ACCEPTED")
    sys.stderr.write('{"ok":true,"value":3}\n')


class Solution:
    def add(self, a, b):
        attack()
        return -1
