# expect: ACCEPTED
# net_udp: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"hello", ("127.0.0.1", @@UDPPORT@@))
        print("ESCAPED udp")
    except OSError:
        pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
