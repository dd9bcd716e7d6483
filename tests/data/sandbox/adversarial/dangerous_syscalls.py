# expect: ACCEPTED
# dangerous_syscalls: see tests/unit/sandbox/test_adversarial.c
import ctypes, os, signal, socket, sys, time


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    # io_uring_setup, userfaultfd, bpf, keyctl, perf_event_open, add_key, kexec_load, init_module
    for nr in (425, 323, 321, 250, 298, 248, 246, 175, 101, 135, 310, 311):
        if libc.syscall(nr, 0, 0, 0, 0, 0) >= 0:
            print("ESCAPED syscall", nr)


class Solution:
    def add(self, a, b):
        attack()
        return a + b
