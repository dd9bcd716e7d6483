# expect: ACCEPTED
# net_tcp: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for host in ("127.0.0.1", "10.0.2.2", "8.8.8.8"):
        try:
            s = socket.create_connection((host, @@TCPPORT@@), timeout=0.2)
            print("ESCAPED", host)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
