# expect: ACCEPTED
# symlink_trick: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    os.chdir("/tmp")
    for name, target in (("a", "@@CANARY@@"), ("b", "/etc"), ("c", "/"), ("d", "@@OTHER@@")):
        try:
            os.symlink(target, name)
        except OSError:
            pass
    os.makedirs("deep/er", exist_ok=True)
    try:
        os.symlink("@@CANARY@@", "deep/er/link")
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
