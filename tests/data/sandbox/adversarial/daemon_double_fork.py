# expect: ACCEPTED
# daemon_double_fork: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            while True:
                time.sleep(0.01)
        os._exit(0)
    os.wait()


class Solution:
    def add(self, a, b):
        attack()
        return a + b
