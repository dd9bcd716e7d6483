# expect: ACCEPTED
# read_hidden_tests: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for path in ("@@PROBLEM@@/tests/hidden/01-secret.json", "@@PROBLEM@@/reference.py",
                 "/workspace/tests/hidden/01-secret.json"):
        try:
            data = open(path).read()
            print("ESCAPED", data[:80])
        except OSError:
            pass
    try:
        print("ESCAPED", os.listdir("@@PROBLEM@@"))
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
