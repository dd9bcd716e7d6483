#!/usr/bin/env python3
"""Count test cases in a meson testlog.json.

A TAP test (every Criterion executable runs with --tap) counts each "ok" and
"not ok" line; a test that failed without reporting a failing case (a crash,
a timeout) counts one more failure.  Any other test counts as one case.
Prints "passed failed skipped" on one line.
"""
import json
import re
import sys

TAP = re.compile(r"^(ok|not ok)\b(.*)$")


def count(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            rec = json.loads(line)
            result = rec.get("result", "")
            out = rec.get("stdout") or ""
            p = fl = s = 0
            for l in out.splitlines():
                m = TAP.match(l.strip())
                if not m:
                    continue
                if m.group(1) == "ok":
                    if "# SKIP" in m.group(2).upper():
                        s += 1
                    else:
                        p += 1
                else:
                    fl += 1
            if p + fl + s == 0:
                if result == "OK":
                    p = 1
                elif result == "SKIP":
                    s = 1
                else:
                    fl = 1
            elif result not in ("OK", "SKIP", "EXPECTEDFAIL") and fl == 0:
                fl = 1
            passed, failed, skipped = passed + p, failed + fl, skipped + s
    return passed, failed, skipped


if __name__ == "__main__":
    tp = tf = ts = 0
    for p in sys.argv[1:]:
        a, b, c = count(p)
        tp, tf, ts = tp + a, tf + b, ts + c
    print(tp, tf, ts)
