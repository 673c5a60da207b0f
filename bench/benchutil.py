"""Small helpers of the benchmark harness: re-exec under Debian's python, wait for an idle
machine, measure how much CPU *other* processes used while we timed something, and the
interleaving itself (a --serve worker process, rounds of timed runs).

Adapted from ../shared/bench/benchutil.py (the peer benchmarks' helpers): `Foreign` also
subtracts the CPU time of our own worker processes (run_bench.py keeps nnc-bench and the peers
running as servers, so the harness's own os.times() does not see them). Standard library only.
"""
import json
import os
import subprocess
import sys
import time


def debian_python(modules=("numpy",)):
    """pyenv's python3 does not see Debian's python3-* packages: re-run under /usr/bin/python3."""
    try:
        for m in modules:
            __import__(m)
    except ImportError:
        if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise


def _stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])  # busy, total (jiffies, all CPUs)


def machine_busy(seconds=1.0):
    """Fraction of all CPUs busy over `seconds` (anyone's processes)."""
    b0, t0 = _stat()
    time.sleep(seconds)
    b1, t1 = _stat()
    return (b1 - b0) / max(1, t1 - t0)


def wait_quiet(thresh=0.15, need=3, max_wait=600, verbose=True):
    """Wait until the whole machine is < thresh busy for `need` consecutive 1 s samples.
    Returns (seconds waited, True if it became quiet)."""
    t0, ok, busy = time.time(), 0, 1.0
    while time.time() - t0 < max_wait:
        busy = machine_busy(1.0)
        ok = ok + 1 if busy < thresh else 0
        if ok >= need:
            return time.time() - t0, True
    if verbose:
        print(f"# warning: machine not quiet after {max_wait:.0f}s (busy {busy:.0%})",
              file=sys.stderr)
    return time.time() - t0, False


def proc_cpu_seconds(pid):
    """user + system CPU seconds of process `pid` (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Foreign:
    """with Foreign(pids) as f: ...  -> f.frac = CPU share used by processes other than this one,
    its children that ended (and were waited for) in the block, and `pids` (0..1 of all cores)
    while the block ran."""

    def __init__(self, pids=()):
        self.pids = list(pids)

    def __enter__(self):
        self.b0, self.t0 = _stat()
        self.o0 = os.times()
        self.p0 = sum(proc_cpu_seconds(p) for p in self.pids)
        self.w0 = time.time()
        return self

    def __exit__(self, *a):
        b1, t1 = _stat()
        o1 = os.times()
        p1 = sum(proc_cpu_seconds(p) for p in self.pids)
        own = sum(o1[i] - self.o0[i] for i in range(4)) + (p1 - self.p0)  # + waited-for children
        hz = os.sysconf("SC_CLK_TCK")
        ncpu = os.cpu_count() or 1
        wall = time.time() - self.w0
        self.frac = max(0.0, ((b1 - self.b0) / hz - own) / max(1e-9, wall * ncpu))


class Worker:
    """A --serve process: first stdout line describes it, then one JSON line per request."""

    def __init__(self, label, cmd, logdir):
        self.label, self.cmd = label, cmd
        self.errpath = os.path.join(logdir, label.replace(" ", "_").replace("/", "_") + ".err")
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, bufsize=1)
        self.info = self._read()

    def _read(self):
        line = self.p.stdout.readline()
        if not line:
            self.p.wait()
            self.err.flush()
            with open(self.errpath) as f:
                err = f.read()
            raise RuntimeError(f"{self.label} ended (exit {self.p.returncode}): "
                               f"{' '.join(self.cmd)}\n{err[-2000:]}")
        return json.loads(line)

    def request(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{self.label}: {reply['error']}")
        return reply

    def close(self):
        last = {}
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            last = self._read()
            self.p.wait(timeout=30)
        except Exception:  # noqa: BLE001 (a dead worker has nothing more to say)
            self.p.kill()
            self.p.wait()
        self.err.close()
        return last


def rounds(a, pids, body, what):
    """Runs body() a.repeats times (the harness's --repeats); re-runs a round while others used > 10 % of the CPUs
    (--tries in all), keeping the quietest attempt. Returns the list of round results and the
    background load of each kept round."""
    kept, loads = [], []
    for r in range(a.repeats):
        best = None
        for _ in range(a.tries):
            with Foreign(pids) as fg:
                res = body()
            if best is None or fg.frac < best[1]:
                best = (res, fg.frac)
            if fg.frac < 0.10:
                break
        kept.append(best[0])
        loads.append(best[1])
        print(f"  {what}: round {r + 1}/{a.repeats} (others used {best[1]:.0%} of the CPUs)",
              file=sys.stderr, flush=True)
    return kept, loads
