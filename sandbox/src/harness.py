# sandbox/src/harness.py - the in-box half of the judge (trusted, runs user
# code only in forked children).
#
# Design notes
# - This file is embedded into the C library at build time and started as
#   `python3.11 -I -S -B -X utf8 -c <source> MODE`; it never reads files.
# - MODE "zygote": fd 3 is a stream socket to the judge.  The first frame
#   holds the modules (solution, reference, gen, checker), the per-child
#   limits and the seccomp program.  Each later frame asks for one run and
#   carries five descriptors (stdin, stdout, stderr, request, result) by
#   SCM_RIGHTS; they land at fds 0..4, which the zygote keeps free.  The
#   zygote forks one child per run; only that child ever holds the request
#   pipe, so a test's input reaches the child that runs it and nothing
#   else.  The zygote itself never executes user code.
# - MODE "single": fd 3 carries {"init": ..., "req": ...} and fd 4 takes the
#   result; the process runs the one request itself (the fresh-process path).
# - No user code runs before the lock-down: the zygote applies the seccomp
#   filter, no_new_privs and every rlimit but the CPU's to itself before its
#   first fork, so each child inherits them and sets only its CPU limit
#   (ADR-0028); the fresh path applies all of it.  A child writes exactly
#   one JSON result to fd 4.  The judge never trusts that result for
#   anything but the value it claims to have returned: expected outputs
#   never enter the box, and CPU time and memory are measured outside.
# - A zygote may be started ahead of time (warm): it imports, says
#   {"booted": true}, then blocks on the first frame.  It learns the code
#   only from that frame and serves that one submission; the judge kills it
#   afterwards.
# - Everything a child needs that does not depend on its input is built in
#   the zygote before the fork (ADR-0027): after a fork, every object a
#   process touches copies a page, at ~15-25 us a page on the VMs measured.
# - A run frame may carry "limits" whose CPU limit replaces the init's for
#   that child (the complexity probe runs with a larger CPU limit than the
#   tests); the other limits are the zygote's own, fixed at its lock-down.
# - Frames are a 4-byte big-endian length and UTF-8 JSON.
import _thread
import builtins
import ctypes
import fcntl
import gc
import io
import json
import marshal
import os
import resource
import signal
import socket
import struct
import sys
import time
import traceback

# Warm the modules solutions commonly use, so children fork with them loaded.
# Not threading, and random only for code that names it (see
# warm_random): once imported, each runs an after-fork hook in every child
# (threading ~3.5 ms per test here, random ~1 ms), more than importing them
# costs the rare solution that uses them.
import bisect
import collections
import functools
import heapq
import itertools
import math
import operator
import re
import string
import typing

# The box's environment holds one setting for the C library (huge pages for
# large allocations); the submission's environment is empty.
os.environ.pop("GLIBC_TUNABLES", None)

MAX_FRAME = 64 << 20
PRELUDE = {}
# The result's encoder and the request's scanner, built before the forks:
# json.dumps and json.loads wrap them in Python (a new encoder per call,
# encoding detection, whitespace regexes), whose objects a child would copy
# a page of the zygote for each (ADR-0027).
RESULT_ENCODER = json.encoder.c_make_encoder(
    {}, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ":", ",",
    False, False, False)
SCAN_REQUEST = json.decoder.JSONDecoder().scan_once


def encode_result(res):
    """The result as compact ASCII JSON; NaN and infinities are refused."""
    return "".join(RESULT_ENCODER(res, 0)).encode()


def decode_request(raw):
    """A request (one JSON value, as the judge writes it) decoded."""
    text = raw.decode("utf-8", "surrogatepass")
    try:
        value, end = SCAN_REQUEST(text, 0)
        if end == len(text):
            return value
    except StopIteration:
        pass
    return json.loads(text)  # raises what json.loads would


class LazyModule(type(sys)):
    """A prelude module that is imported when first used."""

    def __getattr__(self, attr):
        mod = __import__(self.__name__)
        self.__dict__.update(mod.__dict__)
        return getattr(mod, attr)


def warm_random(modules):
    """Import random before the forks when a module names it.

    A child that imports it pays ~13 ms here; a zygote that has it pays
    random's reseed hook in every child (~1 ms), so only zygotes whose
    code may use it (a solution that names it, most generators) have it.
    """
    if any("random" in src for src in modules.values()):
        import random

        PRELUDE["random"] = random


def build_prelude():
    # Thread stacks default to RLIMIT_STACK (64 MiB): keep threads affordable
    # under the address-space limit.
    _thread.stack_size(8 << 20)
    for name in ("List", "Dict", "Set", "Tuple", "Optional", "Deque", "Iterable",
                 "Iterator", "Any", "Callable", "Union"):
        PRELUDE[name] = getattr(typing, name)
    for mod in (bisect, collections, functools, heapq, itertools, math, operator, re,
                string):
        PRELUDE[mod.__name__] = mod
    PRELUDE["random"] = LazyModule("random")
    for name in ("deque", "defaultdict", "Counter", "OrderedDict"):
        PRELUDE[name] = getattr(collections, name)
    for name in ("heappush", "heappop", "heapify"):
        PRELUDE[name] = getattr(heapq, name)
    PRELUDE["lru_cache"] = functools.lru_cache
    PRELUDE["cache"] = functools.cache
    PRELUDE["inf"] = math.inf


def read_all(fd):
    chunks = []
    total = 0
    while True:
        # A pipe holds 64 KiB: asking for more gets no more, but makes each
        # read allocate (and map, and unmap) a buffer of that size.
        b = os.read(fd, 1 << 16)
        if not b:
            break
        total += len(b)
        if total > MAX_FRAME:
            raise ValueError("request too large")
        chunks.append(b)
    return b"".join(chunks)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


ANC_SPACE = socket.CMSG_SPACE(8 * 4)  # up to eight descriptors per frame
RECV_SIZE = 4096
HEADER = struct.Struct(">I")
# The usual run frame, decoded once (the zygote only reads it).
RUN_BODY = b'{"op":"run"}'
RUN = {"op": "run"}


class Channel:
    def __init__(self, sock):
        self.sock = sock

    def recv_exact(self, n):
        first = self.sock.recv(n)
        if len(first) == n:
            return first
        if not first:
            raise EOFError
        buf = bytearray(first)
        while len(buf) < n:
            b = self.sock.recv(n - len(buf))
            if not b:
                raise EOFError
            buf += b
        return bytes(buf)

    def recv(self):
        # recvmsg itself, not socket.recv_fds, and a run frame's header and
        # body in one call (the judge sends them in one message): fewer
        # objects touched per run, each of which costs the zygote a copied
        # page after a fork.  The judge sends a frame only after the reply
        # to the last, so whatever arrives belongs to this frame.
        data, anc, _, _ = self.sock.recvmsg(RECV_SIZE, ANC_SPACE)
        fds = []
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += struct.unpack("%di" % (len(raw) // 4), raw[: len(raw) // 4 * 4])
        if not data:
            for fd in fds:
                os.close(fd)
            raise EOFError
        if len(data) < 4:
            data += self.recv_exact(4 - len(data))
        (n,) = HEADER.unpack_from(data)
        if n > MAX_FRAME or len(data) > 4 + n:
            raise ValueError("frame too large, or two frames at once")
        body = data[4:]
        if len(body) < n:
            body += self.recv_exact(n - len(body))
        if body == RUN_BODY:
            return RUN, fds
        return json.loads(body), fds

    @staticmethod
    def frame(obj):
        data = json.dumps(obj, separators=(",", ":")).encode()
        return struct.pack(">I", len(data)) + data

    def send(self, obj):
        self.sock.sendall(self.frame(obj))


def compile_modules(modules):
    code = {}
    for name, src in modules.items():
        try:
            code[name] = compile(src, name + ".py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            line = getattr(e, "lineno", None) or 0
            msg = "%s: %s" % (type(e).__name__, getattr(e, "msg", None) or str(e))
            return None, {"compile_error": msg, "module": name, "line": line}
    return code, None


class sock_fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


LIBC = None
PRCTL = None
PROG = None


def prepare_filter(bpf_hex):
    """Bind prctl and build the filter program, once."""
    global LIBC, PRCTL, PROG
    if bpf_hex and PROG is None:
        LIBC = ctypes.CDLL(None, use_errno=True)
        PRCTL = LIBC.prctl
        PRCTL.restype = ctypes.c_int
        PRCTL.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong,
                          ctypes.c_ulong)
        prog_bytes = bytes.fromhex(bpf_hex)
        buf = ctypes.create_string_buffer(prog_bytes, len(prog_bytes))
        prog = sock_fprog(len(prog_bytes) // 8, ctypes.addressof(buf))
        PROG = (ctypes.addressof(prog), prog, buf)


def rlimit_plan(limits):
    """The (resource, (soft, hard)) pairs of a lock-down, built once.

    The zygote applies all but the CPU limit to itself (lock_zygote); its
    children, and the fresh path, apply the rest.
    """
    plan = []
    for key, res in (("cpu_s", resource.RLIMIT_CPU), ("as_bytes", resource.RLIMIT_AS),
                     ("fsize", resource.RLIMIT_FSIZE), ("nofile", resource.RLIMIT_NOFILE),
                     ("nproc", resource.RLIMIT_NPROC), ("stack", resource.RLIMIT_STACK)):
        v = limits.get(key)
        if v:
            plan.append((res, (v, v + 1 if key == "cpu_s" else v)))
    plan.append((resource.RLIMIT_CORE, (0, 0)))
    return plan


def cpu_plan(plan):
    """The part of a plan a zygote's child sets itself: the CPU limit."""
    return [(res, lim) for res, lim in plan if res == resource.RLIMIT_CPU]


def lock_zygote(init):
    """Lock the zygote down before its first fork, for its children to inherit.

    The seccomp filter, no_new_privs and every limit but the CPU's: a child
    then sets one rlimit instead of running its whole lock-down, which
    copied ~40 pages of the zygote per test.  RLIMIT_CPU counts a process's
    own time (on the zygote it would add up over the tests) and a run may
    change it, so each child sets its own.  After this the zygote only
    receives frames, forks, kills and waits, which the filter allows; a
    failure ends it (exit 121) before it says it is ready.  Returns the
    children's CPU plan.
    """
    plan = rlimit_plan(init.get("limits") or {})
    lock_down([p for p in plan if p[0] != resource.RLIMIT_CPU], init.get("bpf"))
    return cpu_plan(plan)


def lock_down(plan, bpf_hex):
    """Apply rlimits, no_new_privs and the seccomp filter; exit 121 if any fails."""
    try:
        for res, lim in plan:
            resource.setrlimit(res, lim)
        if bpf_hex:
            prepare_filter(bpf_hex)
            if PRCTL(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
                os._exit(121)
            if PRCTL(22, 2, PROG[0], 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
                os._exit(121)
    except Exception:
        os._exit(121)


def user_error(e, tb_module):
    """The last line of the exception, with the line in the user's module."""
    line = 0
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == tb_module:
            line = tb.tb_lineno
        tb = tb.tb_next
    last = traceback.format_exception_only(type(e), e)[-1].strip()
    try:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == tb_module]
        sys.stderr.write("Traceback (most recent call last):\n")
        sys.stderr.write("".join(traceback.format_list(frames)))
        sys.stderr.write(last + "\n")
    except Exception:
        pass
    return {"ok": False, "error": last[:2000], "line": line}


# Namespaces built in the zygote before the forks, one per module name: a
# child takes one (once) instead of copying the prelude, whose ~35 values'
# reference counts would copy ~30 pages of the zygote.
READY_NAMESPACES = {}


def take_namespace(name):
    return READY_NAMESPACES.pop(name, None) or fresh_namespace(name)


def fresh_namespace(name):
    ns = dict(PRELUDE)
    ns["__name__"] = name
    ns["__builtins__"] = builtins
    return ns


def probe_sizes(code, init, req):
    """The complexity probe over generated inputs (never hidden tests) in one
    child: sizes in increasing order, each call timed alone (collector off, a
    fresh copy of the input per call, calls repeated up to min_ms),
    per-size minima over rounds.  The climb stops when a quadratic next step
    would pass cap_ms; rounds stop at budget_ms of wall time."""
    module = req.get("module", "solution")
    style = req.get("style", "function")
    entry = init.get("entry") or {}
    sizes = req["sizes"]
    blobs = [marshal.dumps(x) for x in req["inputs"]]
    cap = float(req.get("cap_ms", 250)) * 1e6
    min_ns = float(req.get("min_ms", 2)) * 1e6
    rounds = int(req.get("rounds", 5))
    end = time.monotonic() + float(req.get("budget_ms", 1500)) / 1e3
    ns = None
    if style != "stdio":
        ns = fresh_namespace(module)
        exec(code[module], ns)
    cls_name = entry.get("class", "Solution")
    if style == "function" and ns.get(cls_name) is None:
        raise NameError("class %s is not defined" % cls_name)
    if style == "design" and not sizes:
        return {"ok": True, "value": [], "cpu_ns": 0}
    # Wall time of the call alone: the CPU clock ticks coarsely on some
    # hosts, and the minimum over rounds drops the runs that were preempted.
    clock = time.perf_counter_ns
    try:
        # Keep freed memory in the process: otherwise each call pays the
        # page faults of its large blocks again, which is noise, not work.
        libc = LIBC or ctypes.CDLL(None)
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (the largest allowed)
    except Exception:
        pass

    def one(blob):
        arg = marshal.loads(blob)
        if style == "stdio":
            sys.stdin = io.StringIO(arg)
            sys.stdout = io.StringIO()
            g = fresh_namespace("__main__")
            t0 = clock()
            try:
                exec(code[module], g)
            except SystemExit:
                pass
            return clock() - t0
        if style == "design":
            ops, args = arg["ops"], arg["args"]
            t0 = clock()
            obj = ns[ops[0]](*args[0])
            for name, a in zip(ops[1:], args[1:]):
                getattr(obj, name)(*a)
            return clock() - t0
        method = getattr(ns[cls_name](), entry.get("method", ""))
        t0 = clock()
        method(*arg)
        return clock() - t0

    total = 0
    best = []
    reps = []
    cut = False

    def measure(i):
        nonlocal total
        spent, calls = 0, 0
        while True:
            spent += one(blobs[i])
            calls += 1
            if spent >= min_ns or calls >= 1000 or time.monotonic() > end:
                break
        total += spent
        return spent / calls

    saved_in, saved_out = sys.stdin, sys.stdout
    gc.disable()
    try:
        for i in range(len(sizes)):
            t = measure(i)
            best.append(t)
            reps.append(1)
            if t * 4 > cap:
                break
            if time.monotonic() > end:
                cut = i + 1 < len(sizes)
                break
        for _ in range(rounds - 1):
            for i in range(len(best)):
                if time.monotonic() > end:
                    break
                gc.collect()
                best[i] = min(best[i], measure(i))
                reps[i] += 1
    finally:
        gc.enable()
        sys.stdin, sys.stdout = saved_in, saved_out
    return {"ok": True, "value": [[sizes[i], best[i] / 1e6, reps[i]] for i in range(len(best))],
            "cpu_ns": total, "partial": cut}


def run_request(code, init, req):
    op = req.get("op")
    if op == "batch":
        # Generated inputs only (counterexample search): never hidden tests.
        return {"ok": True, "value": [run_item(code, init, it) for it in req["items"]]}
    if op == "probe":
        return probe_sizes(code, init, req)
    module = req.get("module", "solution")
    if module not in code:
        return {"ok": False, "error": "InternalError: no module " + module, "internal": True}
    if op == "baseline" and req.get("style") == "stdio":
        return {"ok": True}
    ns = take_namespace("__main__" if op == "stdio" else module)
    entry = init.get("entry") or {}
    exec(code[module], ns)
    if op == "stdio":
        return {"ok": True}
    if op == "gen":
        value = ns["gen"](int(req["n"]), int(req["seed"]))
        if req.get("as_text"):
            # Encoded here, so the judge need not decode it to pass it on.
            value = json.dumps(value, allow_nan=False, separators=(",", ":"))
        return {"ok": True, "value": value}
    if op == "check":
        return {"ok": True,
                "value": bool(ns["check"](req["input"], req["expected"], req["actual"]))}
    cls_name = entry.get("class", "Solution")
    cls = ns.get(cls_name)
    if op == "baseline" and req.get("style") == "design":
        ops = req["input"]["ops"]
        ns[ops[0]](*req["input"]["args"][0])
        return {"ok": True, "value": None}
    if op == "design":
        ops = req["input"]["ops"]
        args = req["input"]["args"]
        if cls is None or ops[0] not in ns:
            raise NameError("class %s is not defined" % (ops[0] if ops else cls_name))
        t0 = time.process_time_ns()
        obj = ns[ops[0]](*args[0])
        out = [None]
        for name, a in zip(ops[1:], args[1:]):
            out.append(getattr(obj, name)(*a))
        if req.get("timed"):
            return {"ok": True, "value": None, "cpu_ns": time.process_time_ns() - t0}
        return {"ok": True, "value": out}
    if cls is None:
        raise NameError("class %s is not defined" % cls_name)
    inst = cls()
    method = getattr(inst, entry.get("method", ""))
    repeat = int(req.get("repeat", 1))
    if repeat > 1 or op == "baseline":
        # The complexity probe: the same work k times, on fresh copies of
        # the input (a solution may change its arguments); the baseline
        # copies without calling.
        blob = marshal.dumps(req["input"])
        for _ in range(repeat):
            args = marshal.loads(blob)
            if op != "baseline":
                method(*args)
        return {"ok": True, "value": None}
    if req.get("timed"):
        # The complexity probe (advisory): the call's own CPU, with the
        # collector off as timeit does.  The judge accepts the figure only
        # when it is below the CPU it measured for the whole child.
        gc.disable()
        t0 = time.process_time_ns()
        value = method(*req["input"])
        t1 = time.process_time_ns()
        gc.enable()
        return {"ok": True, "value": None, "cpu_ns": t1 - t0}
    return {"ok": True, "value": method(*req["input"])}


def run_item(code, init, item):
    """One request of a batch, with its own stdin/stdout for stdio style."""
    saved_in, saved_out = sys.stdin, sys.stdout
    buf = None
    if item.get("op") == "stdio":
        sys.stdin = io.StringIO(item.get("stdin", ""))
        buf = sys.stdout = io.StringIO()
    try:
        res = run_request(code, init, item)
    except MemoryError:
        res = {"ok": False, "error": "MemoryError", "memory": True}
    except SystemExit as e:
        res = {"ok": e.code in (None, 0), "error": "SystemExit: %s" % e.code}
    except BaseException as e:
        res = {"ok": False, "error": traceback.format_exception_only(type(e), e)[-1].strip()}
    finally:
        sys.stdin, sys.stdout = saved_in, saved_out
    if buf is not None:
        res["stdout"] = buf.getvalue()
    return res


def child_main(code, init, req_fd, res_fd, req=None, plan=None):
    """Runs in the child after its descriptors are in place.

    A zygote's child passes its CPU limit as plan: the rest of its lock-down
    is the zygote's own, inherited (lock_zygote).
    """
    if plan is None:
        lock_down(rlimit_plan(init.get("limits") or {}), init.get("bpf"))
    else:
        lock_down(plan, None)
    if req is None:
        try:
            raw = read_all(req_fd)
            os.close(req_fd)
            req = decode_request(raw)
        except Exception:
            os._exit(122)
    tb_module = req.get("module", "solution") + ".py"
    try:
        res = run_request(code, init, req)
    except MemoryError:
        res = {"ok": False, "error": "MemoryError", "memory": True}
    except SystemExit as e:
        status = e.code
        if status is None or status == 0:
            res = {"ok": True}
        else:
            res = {"ok": False, "error": "SystemExit: %s" % str(status)[:200]}
    except BaseException as e:
        res = user_error(e, tb_module)
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    try:
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        data = encode_result(res)
    except (TypeError, ValueError, RecursionError) as e:
        data = json.dumps({"ok": False, "error": "TypeError: the return value cannot be "
                           "encoded as JSON (%s)" % str(e)[:200]}).encode()
    except MemoryError:
        data = b'{"ok":false,"error":"MemoryError","memory":true}'
    try:
        write_all(res_fd, data)
    except OSError:
        pass
    os._exit(0)


def reset_stdio():
    sys.stdin = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False,
                      buffering=1)


def prepare_fds():
    """Free fds 0..4 for the runs' descriptors and build the children's stdio.

    SCM_RIGHTS installs received descriptors at the lowest free numbers, so a
    run's five descriptors arrive at 0..4, where the child needs them.  The
    text streams are built here once, over a pipe so that they have a pipe's
    properties (not seekable) like the descriptors they will use; a child
    that built its own would copy ~50 pages of the zygote (~1.5 ms here).
    Returns the channel's new descriptor and the zygote's own stderr.
    """
    chan_fd = fcntl.fcntl(3, fcntl.F_DUPFD, 16)
    err = open(fcntl.fcntl(2, fcntl.F_DUPFD, 16), "w", buffering=1)
    r, w = os.pipe()
    os.dup2(r, 0)
    os.dup2(w, 1)
    os.dup2(w, 2)
    reset_stdio()
    for fd in {0, 1, 2, 3, 4, r, w}:
        try:
            os.close(fd)
        except OSError:
            pass
    return chan_fd, err


def zygote():
    chan_fd, err = prepare_fds()
    # Children inherit these: a test's SIGINT or SIGTERM ends it, as it
    # would end a plain python3.11 without a KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        serve(Channel(socket.socket(fileno=chan_fd)))
    except BaseException:
        # The judge logs this when a zygote fails to start.
        traceback.print_exc(file=err)
        os._exit(1)


def serve(chan):
    # Started and imported: a judge waiting for the host to settle (a
    # benchmark) learns it here.  Nothing else is ever sent before the init.
    chan.send({"booted": True})
    init, _ = chan.recv()
    code, err = compile_modules(init.get("modules") or {})
    if err is not None:
        chan.send(err)
        return
    warm_random(init.get("modules") or {})
    for name in list(code) + ["__main__"]:
        READY_NAMESPACES[name] = fresh_namespace(name)
    plan0 = lock_zygote(init)
    # Objects that exist now are never collected in children: their pages
    # stay shared instead of being copied by the collector's writes.
    gc.freeze()
    chan.send({"ready": True})
    is_init = os.getpid() == 1
    replies = {}  # wait status -> reply frame: most runs end alike
    while True:
        try:
            req, fds = chan.recv()
        except EOFError:
            return
        # The descriptors land at 0..4 (prepare_fds); anything else is a
        # judge that does not speak this protocol.
        if req.get("op") == "quit" or fds != [0, 1, 2, 3, 4]:
            for fd in fds:
                os.close(fd)
            return
        plan = plan0
        if isinstance(req.get("limits"), dict):
            plan = cpu_plan(rlimit_plan(dict(init.get("limits") or {}, **req["limits"])))
        pid = os.fork()
        if pid == 0:
            try:
                os.closerange(5, 1 << 16)
                child_main(code, init, 3, 4, plan=plan)
            finally:
                os._exit(123)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        if is_init:
            # Pid 1 of the box: whatever the child left behind (daemons,
            # double forks) dies before the next run starts.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
        frame = replies.get(status)
        if frame is None:
            reply = {"exit": None, "signal": None}
            if os.WIFEXITED(status):
                reply["exit"] = os.WEXITSTATUS(status)
            elif os.WIFSIGNALED(status):
                reply["signal"] = os.WTERMSIG(status)
            frame = replies[status] = Channel.frame(reply)
        chan.sock.sendall(frame)


def single():
    raw = read_all(3)
    os.close(3)
    msg = json.loads(raw)
    init = msg["init"]
    code, err = compile_modules(init.get("modules") or {})
    if err is not None:
        write_all(4, json.dumps(err).encode())
        os._exit(0)
    reset_stdio()
    child_main(code, init, -1, 4, msg["req"])


build_prelude()
if sys.argv[1] == "zygote":
    zygote()
else:
    single()
