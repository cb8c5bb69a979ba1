"""Two nbs-mcpd replicas on the Nomad executor against one nomad-sim (same address, same namespace): jobs
are submitted to both, replica A is SIGKILLed while some of its jobs build and test, B keeps running.

Asserts that every job reaches one final state (read from B, then the same from a restarted A); that no
phase was dispatched twice (nomad-sim's /v1/jobs and allocations per job and phase); that no build lock
is left held (nomad-sim's /v1/vars) and a job waiting for the lock of a dead replica's job runs; and that
B takes over A's jobs with nobody asking B about them, within --replica-resync and a margin."""
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daemon_test  # noqa: E402
from daemon_test import harness  # noqa: E402
from harness import check  # noqa: E402

FINAL = ("SUCCEEDED", "FAILED", "KILLED")
RESYNC = 3  # seconds: --replica-resync of both replicas
MARGIN = 30  # seconds allowed past a phase's end for B to write the job's next step


class ReplicasFixture(daemon_test.DaemonFixture):
    """nomad-sim, a registry, a Git server, and replicas A and B of nbs-mcpd on the Nomad executor."""

    executor = "nomad"

    def start_daemon(self):
        self.replicas = {}
        for name in ("A", "B"):
            self.start_replica(name)
        self.daemon, self.url = self.replicas["B"]

    def start_replica(self, name):
        self.replicas[name] = self.spawn_daemon(f"nbs-mcpd-{name}.log", ["--replica-resync", f"{RESYNC}s"])
        return self.replicas[name][1]

    def kill_replica(self, name):
        process, _ = self.replicas.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self):
        for process, _ in self.replicas.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        self.replicas = {}
        self.daemon = None
        super().stop()

    def daemon_log(self, name="B"):
        with open(os.path.join(self.dir, f"nbs-mcpd-{name}.log")) as f:
            return f.read()[-4000:]

    # --- nomad-sim's view, read without asking either replica (which would make it watch the job) ---
    def sim_get(self, path):
        try:
            with urllib.request.urlopen(self.nomad_addr + path, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def stored_record(self, job_id):
        var = self.sim_get(f"/v1/var/nomad-build/jobs/{job_id}")
        return json.loads(var["Items"]["value"]) if var else None

    def phase_jobs(self, job_id):
        """Nomad job id → its allocations' count and task groups, for every phase job of the job."""
        out = {}
        for stub in self.sim_get(f"/v1/jobs?prefix=nbs-{job_id}-") or []:
            allocs = self.sim_get(f"/v1/job/{stub['ID']}/allocations") or []
            spec = self.sim_get(f"/v1/job/{stub['ID']}") or {}
            out[stub["ID"]] = {"allocations": [(a["TaskGroup"], a["ClientStatus"]) for a in allocs],
                               "groups": [g["Name"] for g in spec.get("TaskGroups") or []]}
        return out

    def held_locks(self):
        held = {}
        for var in self.sim_get("/v1/vars?prefix=nomad-build/locks") or []:
            full = self.sim_get(f"/v1/var/{var['Path']}")
            if full:
                held[var["Path"]] = full["Items"].get("value", "")
        return held


def wait_until(what, condition, timeout):
    """Polls `condition` until it returns a true value or `timeout` seconds pass (then fails naming `what`)."""
    end = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() >= end:
            raise harness.Failure(f"{what}: not within {timeout} s")
        time.sleep(0.5)


def test_a_replica_killed_mid_way(f):
    url_a, url_b = f.replicas["A"][1], f.replicas["B"][1]
    jobs = {}  # id → (replica, expected status, expected failed phase, phases that must have run)
    # A: a slow build with a test (building when A dies), B: the same branch, so it waits for A's
    # job's build lock, which only B can give back once A is dead.
    slow = f.submit(f.slow_job(60, test={"commands": ["true"]}), url_a)
    jobs[slow] = ("A", "SUCCEEDED", None, {"build", "test", "publish"})
    f.wait_status(slow, ("BUILDING",), timeout=120, url=url_a)
    behind = f.submit(f.slow_job(1), url_b)
    jobs[behind] = ("B", "SUCCEEDED", None, {"build"})
    wait_until(f"B's job {behind} waiting for the lock of A's {slow}",
               lambda: slow in (f.status(behind, url=url_b).get("waiting_reason") or ""), 30)
    # A: testing when A dies.
    testing = f.submit(f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "hi"},
                             test={"env": {"EXPECTED": "hi"}, "commands": ["sleep 20 && sh /check.sh"]}), url_a)
    jobs[testing] = ("A", "SUCCEEDED", None, {"build", "test", "publish"})
    failing_test = f.submit(f.job("tests-and-args", target="app",
                                  build_args={"BASE_IMAGE": f.base, "GREETING": "hello"},
                                  test={"env": {"EXPECTED": "bonjour"}, "commands": ["sh /check.sh"]}), url_b)
    jobs[failing_test] = ("B", "FAILED", "test", {"build", "test"})
    failing_build = f.submit(f.job("failing-build"), url_a)
    jobs[failing_build] = ("A", "FAILED", "build", {"build"})
    plain = f.submit(f.job("hello-world", test={"entry_point": True}, image_tags=["replicas"]), url_b)
    jobs[plain] = ("B", "SUCCEEDED", None, {"build", "test", "publish"})

    # Both replicas drive the failing build from the start: B is asked about it.
    f.status(failing_build, url=url_b)
    # Kill A once its slow job builds and its other job tests (status read from A: that is allowed).
    f.wait_status(testing, ("TESTING",), timeout=300, url=url_a)
    slow_status = f.status(slow, url=url_a)["status"]
    check(slow_status in ("BUILDING", "TESTING", "PUBLISHING"), f"the slow job is {slow_status} already")
    f.kill_replica("A")
    killed_at = time.time()
    print(f"A SIGKILLed with {slow[:8]} {slow_status} and {testing[:8]} TESTING", flush=True)

    # B drives A's jobs to their end though nobody asks B about them: read only from the store.
    ended = {}
    for job_id in (slow, testing):
        def settled(job_id=job_id):
            record = f.stored_record(job_id)
            return record if record and record.get("settled") else None
        # The slow build has ≤ 60 s left, then a test and a publish; the test ≤ 20 s, then a publish.
        record = wait_until(f"B ending A's job {job_id}", settled, 60 + 2 * (RESYNC + MARGIN) + 120)
        ended[job_id] = time.time() - killed_at
        print(f"{job_id[:8]} ({record['status']}) settled by B {ended[job_id]:.1f} s after A died", flush=True)

    # Every job's one final state, from B.
    finals = {}
    for job_id, (replica, status, failed_phase, _) in jobs.items():
        body = f.wait_final(job_id, timeout=300, url=url_b)
        check(body["status"] == status, f"{replica}'s job {job_id}: expected {status}: {body}")
        check(body.get("failed_phase") == failed_phase, f"{job_id}: failed_phase {body.get('failed_phase')}")
        finals[job_id] = body

    # The job behind A's lock ran after A's job let go of it: B gave the dead replica's lock back.
    times = finals[behind]["times"], finals[slow]["times"]
    check(times[0]["build_start"] >= times[1]["job_end"], f"the same branch built at once: {times}")

    # Each phase ran once: one Nomad job per (job, phase), one allocation per task group.
    for job_id, (_, _, _, phases) in jobs.items():
        seen = f.phase_jobs(job_id)
        names = {name[len(f"nbs-{job_id}-"):] for name in seen}
        check(phases <= names, f"{job_id}: phases {sorted(names)} lack {sorted(phases - names)}")
        for name, phase in seen.items():
            suffix = name[len(f"nbs-{job_id}-"):]
            check(suffix in ("build", "test", "publish", "cleanup"), f"a phase dispatched again: {name}")
            groups = [g for g, _ in phase["allocations"]]
            check(sorted(groups) == sorted(phase["groups"]), f"{name}: allocations {phase['allocations']} "
                  f"for task groups {phase['groups']}")

    # No build lock is held once every job has settled (its lock given back, its temporary tag gone):
    # A's jobs' locks included, which B gave back for the dead replica.
    for job_id in jobs:
        wait_until(f"{job_id} settled", lambda job_id=job_id: (f.stored_record(job_id) or {}).get("settled"),
                   RESYNC + MARGIN)
    check(not f.held_locks(), f"build locks still held: {f.held_locks()}")

    # A restarted gives the same answers as B.
    url_a = f.start_replica("A")
    for job_id, body in finals.items():
        again = f.status(job_id, url=url_a)
        for field in ("status", "failed_phase", "digest", "images", "times"):
            check(again.get(field) == body.get(field),
                  f"{job_id}: A says {field}={again.get(field)}, B says {body.get(field)}")


if __name__ == "__main__":
    harness.main("e2e-replicas", [test_a_replica_killed_mid_way], fixture_class=ReplicasFixture)
