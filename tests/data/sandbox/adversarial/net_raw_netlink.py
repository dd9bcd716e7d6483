# expect: ACCEPTED
# net_raw_netlink: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    for fam, typ in ((socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_NETLINK, socket.SOCK_RAW),
                     (socket.AF_PACKET, socket.SOCK_RAW)):
        try:
            socket.socket(fam, typ)
            print("ESCAPED", fam)
        except OSError:
            pass


class Solution:
    def add(self, a, b):
        attack()
        return a + b
