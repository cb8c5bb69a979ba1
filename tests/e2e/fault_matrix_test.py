"""The fault matrix: one fault per case, injected into a real job on one executor (`--executor local` with
podman, or `--executor nomad` against tests/nomad_sim), each ending in a correct final state with nothing
lost and nothing left running.

Faults: killJob in each phase (build, test, publish); the daemon SIGKILLed in each phase and restarted on
the same state; the phase's nbs-runner SIGKILLed; the registry stopped while publish runs and started again;
a test deadline; on Nomad also 500s for a while and a lost allocation.

Each case then checks: the final status, failure class and phase (or SUCCEEDED after a transient fault);
that getStatus and getLogs still answer for the phases that ran; that no process of the job remains (its
id or its case marker in a command line or environment: nbs-runner, buildah, the RUN step, podman), no
container of the job (podman ps -a), no Nomad allocation of the job still running; and that a failed or
killed job left no tag in the registry.

Phases are slowed by what the case waits on, never by guessing: a RUN step or a test command prints the
case's marker and sleeps, and the test waits for the marker in getLogs (with a deadline) before it
injects the fault. A publish is held by stopping the registry (SIGSTOP: connections are accepted, nothing
answers) once the test phase prints its marker, and the job is then seen PUBLISHING. One daemon serves
every case; the daemon-SIGKILL cases restart it on the same state."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

HEAD = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
FINAL = ("SUCCEEDED", "FAILED", "KILLED")


class FaultFixture(DaemonFixture):
    """The daemon fixture plus the registry's stop/start and the checks every fault case ends with."""

    def start(self):
        super().start()
        self.reg_dir = os.path.join(self.dir, "reg")
        self.cases = 0
        self.cases_lock = threading.Lock()
        return self

    # --- cases ---
    def case_job(self, name, run="true", **overrides):
        """A job of its own repository and image: a RUN step that runs `run` after printing the case's
        marker. Returns (config, marker)."""
        with self.cases_lock:
            self.cases += 1
            number = self.cases
        marker = f"FAULT-{name}-{number}-{int(time.time() * 1000) % 100000}"
        repo = f"fault-{name}-{number}"
        self.make_repo(repo, {"Dockerfile": HEAD + f"RUN echo {marker}-$((40+2)) && {run}\n"})
        config = self.job(repo, image_name=f"faults/{repo}")
        config.update(overrides)
        return config, marker

    def wait_log(self, job_id, phase, text, task=None, timeout=240):
        """Waits until the phase's log (of `task`, if given) has a line with `text`."""
        query = f"phase={phase}&mode=grep&pattern=" + urllib.parse.quote(text)
        if task:
            query += f"&task={task}"
        end = time.time() + timeout
        while time.time() < end:
            body = self.status(job_id)
            if body["status"] in FINAL:
                raise harness.Failure(f"{job_id} ended before {text!r} showed in its {phase} log: {body}")
            status, logs = self.call("GET", f"/mcp/job/{job_id}/logs?{query}")
            if status == 200 and logs.get("lines"):
                return
            time.sleep(0.3)
        raise harness.Failure(f"{text!r} never showed in the {phase} log of {job_id}: {self.status(job_id)}")

    def wait_until(self, what, condition, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            if condition():
                return
            time.sleep(0.3)
        raise harness.Failure(f"{what} did not happen within {timeout} s")

    def kill_job(self, job_id):
        status, body = self.call("POST", "/mcp/killJob", {"job_id": job_id})
        check(status == 200, f"killJob answered {status}: {body}")

    # --- the registry ---
    def registry_pid(self):
        with open(os.path.join(self.reg_dir, "registry.pid")) as f:
            return int(f.read().strip())

    def freeze_registry(self):
        """Stops the registry process (SIGSTOP): connections queue, no request is answered."""
        os.kill(self.registry_pid(), signal.SIGSTOP)

    def thaw_registry(self):
        os.kill(self.registry_pid(), signal.SIGCONT)

    def stop_registry(self):
        harness.sh(os.path.join(harness.LIB, "stop-registry"), self.reg_dir)

    def start_registry(self):
        port = self.registry.rsplit(":", 1)[1]
        address = harness.sh(os.path.join(harness.LIB, "start-registry"), self.reg_dir, port)
        check(address == self.registry, f"the registry came back on {address}, not {self.registry}")

    def tags(self, image_name):
        try:
            with urllib.request.urlopen(f"http://{self.registry}/v2/{image_name}/tags/list", timeout=30) as r:
                return json.loads(r.read()).get("tags") or []
        except urllib.error.HTTPError as e:
            check(e.code == 404, f"tags/list of {image_name} answered {e.code}")
            return []

    # --- what is left ---
    def processes_of(self, *needles):
        """Processes whose command line or environment names any of `needles` (a job id names the
        runner's spec path, the container's name, NOMAD_JOB_ID; a case marker names its RUN step and
        test command)."""
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read().decode(errors="replace")
            except OSError:
                continue
            if any(n in cmdline or n in environ for n in needles):
                found.append(f"{pid}: {cmdline[:160]}")
        return found

    def runner_pids(self, job_id, phase):
        """The nbs-runner processes of the job's phase (not the runner's group guards, forks of it that
        share its command line and are named nbs-group-guard)."""
        pids = []
        for line in self.processes_of(f"nbs-{job_id}-{phase}"):
            pid, cmdline = line.split(": ", 1)
            argv = cmdline.split(" ")
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm != "nbs-group-guard" and "nbs-runner" in os.path.basename(argv[0]) and phase in argv:
                pids.append(int(pid))
        return pids

    def allocations_running(self, job_id):
        if self.executor != "nomad":
            return []
        with urllib.request.urlopen(f"{self.nomad_addr}/v1/allocations", timeout=30) as r:
            allocs = json.loads(r.read())
        return [f"{a['JobID']}/{a['ID'][:8]} {a['ClientStatus']}" for a in allocs
                if a["JobID"].startswith(f"nbs-{job_id}-") and a["ClientStatus"] in ("pending", "running")]

    def leftovers(self, job_id, marker):
        return (self.processes_of(job_id, marker) + self.job_containers(job_id).splitlines() +
                self.allocations_running(job_id) + self.running_phases(job_id))

    def check_end(self, job_id, marker, config, status, klass=None, phase=None, logs=("build",), timeout=300):
        """The case's end: status, class and phase; record and logs readable; nothing left running; no
        tag of a job that did not succeed."""
        start = time.time()
        final = self.wait_final(job_id, timeout=timeout)
        ended = time.time()
        context = f"{job_id}: {json.dumps(final)[:1500]}"
        check(final["status"] == status, f"expected {status}: {context}")
        failure = final.get("failure") or {}
        if klass:
            check(failure.get("class") == klass, f"expected class {klass}: {context}")
        if phase:
            check(final.get("failed_phase") == phase and failure.get("phase") == phase,
                  f"expected failed phase {phase}: {context}")
        if klass == "internal":
            step = final.get("next_step") or ""
            check(not any(w in step for w in ("Dockerfile", "fix", "commit")), f"next_step blames the repo: {step}")
        for p in logs:
            body = self.logs(job_id, f"phase={p}")
            check(body.get("lines"), f"the {p} log of {job_id} is empty: {body}")
        check(any(marker in line for line in self.logs(job_id, "phase=build&mode=grep&pattern=" +
                                                        urllib.parse.quote(marker))["lines"]),
              f"the build log of {job_id} lost its marker")
        end = time.time() + 90
        while time.time() < end and self.leftovers(job_id, marker):
            time.sleep(1)
        left = self.leftovers(job_id, marker)
        cleared = time.time()
        check(not left, f"left running after {job_id} ended {final['status']}: {left}")
        if status != "SUCCEEDED":
            tags = self.tags(config["image_name"])
            check(not tags, f"{status} job {job_id} left tags in the registry: {tags}")
        else:
            check(job_id in self.tags(config["image_name"]), f"{job_id} is not among the published tags")
        # The record survives whatever happened to the daemon.
        again = self.status(job_id)
        check(again["status"] == status, f"the record changed after the end: {again}")
        print(f"  {job_id}: {final['status']} {failure.get('class', '-')} {final.get('failed_phase') or '-'}; "
              f"ended after {ended - start:.1f} s, nothing left {cleared - ended:.1f} s later", flush=True)
        return final


# --- killJob in each phase ---
def test_kill_in_build(f):
    config, marker = f.case_job("kill-build", "sleep 300", test={"commands": ["true"]})
    job_id = f.submit(config)
    f.wait_log(job_id, "build", f"{marker}-42")
    f.kill_job(job_id)
    f.check_end(job_id, marker, config, "KILLED")


def test_kill_in_test(f):
    config, marker = f.case_job("kill-test")
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 300"]}
    job_id = f.submit(config)
    f.wait_log(job_id, "test", f"{marker}-51", task="cmd-0")
    f.kill_job(job_id)
    f.check_end(job_id, marker, config, "KILLED", logs=("build", "test"))


def hold_publish(f, job_id, marker):
    """Freezes the registry once the test phase runs (its image pulled), then waits for PUBLISHING."""
    f.wait_log(job_id, "test", f"{marker}-51", task="cmd-0")
    f.freeze_registry()
    try:
        f.wait_status(job_id, ("PUBLISHING",) + FINAL, timeout=120)
        check(f.status(job_id)["status"] == "PUBLISHING", f"not publishing: {f.status(job_id)}")
        f.wait_until("the publish runner's start", lambda: f.runner_pids(job_id, "publish"))
    except BaseException:
        f.thaw_registry()
        raise


def test_kill_in_publish(f):
    config, marker = f.case_job("kill-publish")
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 2"]}
    job_id = f.submit(config)
    hold_publish(f, job_id, marker)
    try:
        f.kill_job(job_id)
        f.wait_status(job_id, FINAL, timeout=60)
        # The publish must be gone before the registry answers again, or it could still publish.
        f.wait_until("the publish runner's end", lambda: not f.runner_pids(job_id, "publish"), timeout=120)
    finally:
        f.thaw_registry()
    f.check_end(job_id, marker, config, "KILLED", logs=("build", "test"))


# --- the daemon SIGKILLed in each phase, restarted on the same state ---
def restart_daemon_hard(f):
    f.stop_daemon(signal.SIGKILL)
    f.start_daemon()


def test_daemon_sigkill_in_build(f):
    config, marker = f.case_job("daemon-build", "sleep 6")
    job_id = f.submit(config)
    f.wait_log(job_id, "build", f"{marker}-42")
    restart_daemon_hard(f)
    f.check_end(job_id, marker, config, "SUCCEEDED")


def test_daemon_sigkill_in_test(f):
    config, marker = f.case_job("daemon-test")
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 6"]}
    job_id = f.submit(config)
    f.wait_log(job_id, "test", f"{marker}-51", task="cmd-0")
    restart_daemon_hard(f)
    f.check_end(job_id, marker, config, "SUCCEEDED", logs=("build", "test"))


def test_daemon_sigkill_in_publish(f):
    config, marker = f.case_job("daemon-publish")
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 2"]}
    job_id = f.submit(config)
    hold_publish(f, job_id, marker)
    try:
        f.stop_daemon(signal.SIGKILL)
    finally:
        f.thaw_registry()
    f.start_daemon()
    f.check_end(job_id, marker, config, "SUCCEEDED", logs=("build", "test", "publish"))


# --- the runner SIGKILLed ---
def test_runner_sigkill_in_build(f):
    config, marker = f.case_job("runner-build", "sleep 300")
    job_id = f.submit(config)
    f.wait_log(job_id, "build", f"{marker}-42")
    pids = f.runner_pids(job_id, "build")
    check(pids, f"no nbs-runner of {job_id}: {f.processes_of(job_id)}")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    f.check_end(job_id, marker, config, "FAILED", klass="internal", phase="build")


# --- the registry down mid-push ---
def test_registry_down_in_publish(f):
    """The registry is stopped (connections refused) before publish begins and started again once the
    publish has met it down: the publish retries and the job succeeds."""
    config, marker = f.case_job("registry-publish")
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 2"]}
    job_id = f.submit(config)
    f.wait_log(job_id, "test", f"{marker}-51", task="cmd-0")
    f.stop_registry()
    try:
        f.wait_status(job_id, ("PUBLISHING",) + FINAL, timeout=120)
        f.wait_log(job_id, "publish", "retrying", timeout=60)
    finally:
        f.start_registry()
    f.check_end(job_id, marker, config, "SUCCEEDED", logs=("build", "test", "publish"))


# --- a deadline ---
def test_test_deadline(f):
    config, marker = f.case_job("deadline")
    # Long enough for the container to start and print on a loaded machine: its output must survive.
    config["test"] = {"commands": [f"echo {marker}-$((50+1)); sleep 300"], "timeout": "30s"}
    job_id = f.submit(config)
    f.wait_log(job_id, "test", f"{marker}-51", task="cmd-0")
    f.check_end(job_id, marker, config, "FAILED", klass="deadline", phase="test", logs=("build", "test"))


# --- Nomad: 500s for a while, a lost allocation ---
def test_nomad_500s_in_build(f):
    config, marker = f.case_job("nomad-500", "sleep 4")
    job_id = f.submit(config)
    f.wait_log(job_id, "build", f"{marker}-42")
    f.sim_fault({"error_status": 500, "error_for": "8s"})
    f.check_end(job_id, marker, config, "SUCCEEDED")


def test_nomad_lost_allocation_in_build(f):
    """The build's allocation is lost (node down: its processes SIGKILLed): the phase runs again as a new
    attempt and the job succeeds; nothing of the lost attempt stays behind."""
    config, marker = f.case_job("nomad-lost", "sleep 6")
    job_id = f.submit(config)
    f.wait_log(job_id, "build", f"{marker}-42")
    f.sim_fault({"lose_job": f"nbs-{job_id}-build"})
    f.check_end(job_id, marker, config, "SUCCEEDED")


def concurrently(*cases):
    """One case that runs `cases` at once, each in its own thread (their faults touch only their own job):
    fails naming every case that failed."""

    def case(f):
        failures = []

        def run(c):
            try:
                c(f)
                print(f"  ok {c.__name__}", flush=True)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append(f"{c.__name__}: {e}")

        threads = [threading.Thread(target=run, args=(c,)) for c in cases]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not failures, "\n".join(failures))

    case.__name__ = "+".join(c.__name__.removeprefix("test_") for c in cases)
    return case


# Faults that touch only their own job run at once; the registry and daemon faults touch every job and
# run alone.
ONE_JOB = [test_kill_in_build, test_kill_in_test, test_runner_sigkill_in_build, test_test_deadline]
SHARED = [test_kill_in_publish, test_registry_down_in_publish, test_daemon_sigkill_in_build,
          test_daemon_sigkill_in_test, test_daemon_sigkill_in_publish]
CASES = {
    "local": [concurrently(*ONE_JOB)] + SHARED,
    "nomad": [concurrently(*ONE_JOB, test_nomad_lost_allocation_in_build)] + SHARED + [test_nomad_500s_in_build],
}

if __name__ == "__main__":
    FaultFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-faults-{FaultFixture.executor}", CASES[FaultFixture.executor], fixture_class=FaultFixture)
