# expect: RUNTIME_ERROR
# forged_result_frame: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    os.write(4, b'{"ok":true,"value":3}')


class Solution:
    def add(self, a, b):
        attack()
        return -1
