# expect: ACCEPTED
# net_dns: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    try:
        socket.getaddrinfo("example.com", 80)
        print("ESCAPED dns")
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
