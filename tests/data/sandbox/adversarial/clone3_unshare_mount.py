# expect: ACCEPTED
# clone3_unshare_mount: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(88)
    if libc.syscall(435, buf, 88) >= 0:  # clone3
        print("ESCAPED clone3")
    elif ctypes.get_errno() != 38:
        print("clone3 errno", ctypes.get_errno())
    for flag in (0x10000000, 0x20000, 0x40000000, 0x20000000):  # user, mount, net, pid
        if libc.unshare(flag) == 0:
            print("ESCAPED unshare", hex(flag))
    if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
        print("ESCAPED mount")
    if libc.chroot(b"/tmp") == 0:
        print("ESCAPED chroot")


class Solution:
    def add(self, a, b):
        attack()
        return a + b
