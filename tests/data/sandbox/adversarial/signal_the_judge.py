# expect: ACCEPTED
# signal_the_judge: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for pid in [1, os.getppid()] + list(range(2, 200)):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.kill(-1, signal.SIGTERM)
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
