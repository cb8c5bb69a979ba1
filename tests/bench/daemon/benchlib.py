"""Shared pieces of the daemon benchmarks: figures and their targets, /proc readings, and nbs-mcpd (local
or Nomad executor, usually with tests/unit/testutil/fake_runner as its runner) and nomad-sim started on
free ports in a temporary directory. Everything started here is stopped by its owner's stop().

Output convention (as tests/bench/runner): one line per figure, `name: value vs baseline b, ratio r`;
in the full mode each target adds `target ...: PASS|MISS`, and --quick prints `(quick: not judged)`
instead, since a smoke run on a loaded CI machine proves only that the measure still runs."""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def check(condition, message):
    if not condition:
        raise BenchError(message)


def binary(name):
    """The path in environment variable `name` (set by ctest / the bench targets); it must be executable."""
    path = os.environ.get(name, "")
    check(path and os.access(path, os.X_OK), f"{name} must name an executable (run through ctest or cmake --build)")
    return os.path.abspath(path)


# --- Figures and targets ---
class Report:
    """Collects figures; in the full mode judges each against its target and counts the misses."""

    def __init__(self, quick):
        self.quick = quick
        self.misses = []
        self.figures = 0

    def figure(self, name, value, unit="", baseline=None, baseline_name="baseline", target=None, ok=None):
        """Prints one figure. `target` is its text (e.g. "<= 1.10"), `ok` whether it is met."""
        self.figures += 1
        text = f"{name}: {fmt(value)}{unit}"
        if baseline is not None:
            ratio = value / baseline if baseline else float("inf")
            text += f" vs {baseline_name} {fmt(baseline)}{unit}, ratio {ratio:.3f}"
        if target is not None:
            if self.quick:
                text += f"; target {target} (quick: not judged)"
            else:
                text += f"; target {target}: {'PASS' if ok else 'MISS'}"
                if not ok:
                    self.misses.append(name)
        print(text, flush=True)

    def note(self, text):
        print(f"  {text}", flush=True)

    def finish(self):
        """Exit status: 0 once figures were produced; a MISS is reported, never a failure."""
        check(self.figures > 0, "no figures produced")
        if not self.quick:
            print(f"targets missed: {len(self.misses)}" + (f" ({', '.join(self.misses)})" if self.misses else ""))
        return 0


def fmt(value):
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def median(samples):
    return statistics.median(samples)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load_line():
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return f"load average {' '.join(load)} on {os.cpu_count()} cores"


# --- /proc ---
def proc_status_kb(pid, field):
    """VmRSS, VmHWM, … of `pid` in kB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {field}")


def reset_hwm(pid):
    """Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux >= 4.0); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid):
    """utime + stime of `pid` (all its threads) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5)


class CpuMeter:
    """CPU time of a process over wall time between start() and stop(), in cores."""

    def __init__(self, pid):
        self.pid = pid

    def start(self):
        self.cpu0, self.wall0 = cpu_seconds(self.pid), time.perf_counter()
        return self

    def stop(self):
        self.cpu = cpu_seconds(self.pid) - self.cpu0
        self.wall = time.perf_counter() - self.wall0
        return self.cpu / self.wall if self.wall > 0 else 0.0


# --- HTTP ---
def http(method, url, body=None, headers=None, timeout=120):
    """(status, parsed JSON or raw bytes)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_build_user():
    """nbs-mcpd running as root runs its tasks as the user "build"."""
    if os.geteuid() == 0:
        subprocess.run([os.path.join(ROOT, "scripts", "setup-build-user")], check=True, capture_output=True)


class WorkDir:
    """A temporary directory the build user can enter."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix=f"nbs-bench-{name}-")
        os.chmod(self.path, 0o755)

    def sub(self, *parts):
        path = os.path.join(self.path, *parts)
        os.makedirs(path, mode=0o755, exist_ok=True)
        return path

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


# --- nomad-sim ---
class NomadSim:
    def __init__(self, workdir, host_volumes=(), extra=()):
        self.binary = binary("NBS_NOMAD_SIM")
        self.data = workdir.sub("nomad")
        self.log = open(os.path.join(workdir.path, "nomad-sim.log"), "a")
        argv = [self.binary, "--listen", "127.0.0.1:0", "--data-dir", self.data, *extra]
        for name, path in host_volumes:
            argv += ["--host-volume", f"{name}={path}"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        addr_file = os.path.join(self.data, "nomad-sim.addr")
        end = time.time() + 15
        while not os.path.exists(addr_file) and time.time() < end:
            check(self.proc.poll() is None, "nomad-sim exited at start")
            time.sleep(0.05)
        check(os.path.exists(addr_file), "nomad-sim did not start")
        with open(addr_file) as f:
            self.addr = "http://" + f.read().strip()

    def stats(self):
        return http("GET", self.addr + "/sim/stats")[1]

    def reset_stats(self):
        http("DELETE", self.addr + "/sim/stats")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- nbs-mcpd ---
FINAL = ("SUCCEEDED", "FAILED", "KILLED")


class Daemon:
    """nbs-mcpd on a free loopback port. executor "local": --state-dir under `workdir`, `runner` as its
    runner; "nomad": `sim` as its Nomad, `runner` run by raw_exec."""

    def __init__(self, workdir, runner, executor="local", sim=None, extra=(), name="nbs-mcpd"):
        self.binary = binary("NBS_MCPD")
        self.log_path = os.path.join(workdir.path, f"{name}.log")
        self.log = open(self.log_path, "a")
        argv = [self.binary, "--listen", "127.0.0.1:0", "--log-level", "warn", "--submit-rate", "0"]
        if executor == "local":
            argv += ["--state-dir", workdir.sub("state"), "--runner", runner]
        else:
            argv += ["--nomad-addr", sim.addr, "--nomad-runner-driver", "raw_exec", "--nomad-runner-path", runner,
                     "--cache-dir", workdir.sub("cache"), "--stop-grace", "5s"]
        argv += list(extra)
        # The port is chosen here (--log-level warn hides the "listening on" line).
        port = free_port()
        argv[argv.index("127.0.0.1:0")] = f"127.0.0.1:{port}"
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{port}"
        end = time.time() + 20
        while time.time() < end:
            check(self.proc.poll() is None, f"nbs-mcpd exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                if http("GET", self.url + "/ready", timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise BenchError("nbs-mcpd did not become ready:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    # REST mirror
    def submit(self, config):
        status, body = http("POST", self.url + "/mcp/submitJob", {"job_config": config})
        check(status == 200, f"submitJob answered {status}: {body}")
        return body["job_id"]

    def status(self, job_id, wait=0):
        status, body = http("GET", f"{self.url}/mcp/job/{job_id}/status?wait_seconds={wait}")
        check(status == 200, f"getStatus answered {status}: {body}")
        return body

    # getStatus waits for a change from the state at call time: look first, then wait.
    def wait_final(self, job_id, timeout=600):
        end = time.time() + timeout
        body = self.status(job_id)
        while body["status"] not in FINAL and time.time() < end:
            body = self.status(job_id, wait=30)
        check(body["status"] in FINAL, f"job {job_id} did not finish in {timeout} s: {body}")
        return body

    def wait_status(self, job_id, wanted, timeout=120):
        end = time.time() + timeout
        body = self.status(job_id)
        while body["status"] not in wanted and time.time() < end:
            body = self.status(job_id, wait=5)
        check(body["status"] in wanted, f"job {job_id} never reached {wanted}: {body}")
        return body

    def logs(self, job_id, query):
        status, body = http("GET", f"{self.url}/mcp/job/{job_id}/logs?{query}")
        check(status == 200, f"getLogs answered {status}: {body}")
        return body


def fake_job(branch, sleep_ms=0, exit_code=None, **extra):
    """A job for the fake runner; each branch has its own build lock (the same branch runs one at a time)."""
    args = {"FAKE_BUILD_SLEEP_MS": str(sleep_ms)}
    if exit_code is not None:
        args["FAKE_BUILD_EXIT"] = str(exit_code)
    config = {"owner": "bench", "repo_url": "https://git.example/bench/app.git", "git_ref": branch,
              "registry_url": "reg.example:5000", "image_name": "bench/app", "build_args": args}
    config.update(extra)
    return config


def run_main(main):
    """Runs main(quick) with the --quick flag parsed; exits 1 on an error (a measure that did not run)."""
    import argparse
    import traceback
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs (CI smoke mode)")
    args = parser.parse_args()
    print(f"mode: {'quick' if args.quick else 'full'}; {load_line()}", flush=True)
    try:
        sys.exit(main(args.quick))
    except Exception as e:  # noqa: BLE001 - one line of cause, then the trace
        print(f"FAIL: {e}", flush=True)
        traceback.print_exc()
        sys.exit(1)
