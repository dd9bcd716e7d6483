# expect: RUNTIME_ERROR|TIMEOUT
# fork_bomb_crash: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    while True:
        os.fork()


class Solution:
    def add(self, a, b):
        attack()
        return a + b
