"""Run one command and report its wall time and peak memory as JSON (used by run.py).

    python -S benchmarks/_spawn.py TIMEOUT_S LOG -- CMD...

A small, fresh process starts the command, so the command's ru_maxrss is its own: a child forked
from a large process (run.py, with Playwright loaded) would count its parent's pages too.
"""
import json
import os
import subprocess
import sys
import time


def main():
    timeout, log = float(sys.argv[1]), sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    print(json.dumps({"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "exit": proc.returncode,
                      "timed_out": timed_out}))


if __name__ == "__main__":
    main()
