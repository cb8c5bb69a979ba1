"""Measure 1, orchestration overhead: the hello-world job (examples/hello-world: build, the image's entry
point as the test, publish) through nbs-mcpd on the local executor, as a client sees it (submitJob to the
getStatus answer with the final status), vs the same work run directly, one command after another:
  git clone --depth 1 of the same ref (the runner fetches into its mirror with libgit2),
  the runner's exact `buildah ... bud` and `buildah ... push` argv (its `$ ...` log events, paths and the
  job id swapped for the direct run's), the local executor's exact `podman run` argv (the test phase's
  launch.json), and the publish as the registry calls nbs-runner publish makes, with curl (manifest GET,
  manifest PUT of the final tag, the temp tag removed: tombstone manifest PUT and DELETE),
as the build user with the environment the runner and the executor give those commands.
Every round commits a one-line change to hello.sh first (the daemon's run and the direct run each build a new
COPY and RUN layer; the base image comes from the cache), after one warm-up job.
The gaps between phases are read from the phase directories: each phase's launch.json (written when the
daemon starts it) and its tasks' exit files (written when the process ends).
Targets: daemon / direct <= 1.10, and <= 300 ms added per phase transition (4 transitions: submit -> build,
build -> test, test -> publish, publish -> the client seeing SUCCEEDED).
--quick: one round."""
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
import uuid

from benchlib import ROOT, Report, check, median, run_main

sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from daemon_test import DaemonFixture  # noqa: E402

BUILD_USER = "build"
# Each gap: from the end of one step (the POST, a phase's last process) to the start of the next (a phase's
# launch.json, the client holding the final status).
TRANSITIONS = ("submitJob POST -> build launched", "build exited -> test launched", "test exited -> publish launched",
               "publish exited -> client has SUCCEEDED")
ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"


def change_hello(f, label):
    src = os.path.join(f.dir, "src-hello-world")
    f.commit(src, {"hello.sh": f'#!/bin/sh\necho "Hello from the Nomad Build Service! ({label})"\n'}, label)
    f.push(src, "main")


def read_events(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.startswith("{")]


def phase_dir(f, job_id, phase):
    return os.path.join(f.state, "phases", f"nbs-{job_id}-{phase}")


def mtime(path):
    return os.stat(path).st_mtime


def task_exit_time(f, job_id, phase):
    tasks = os.path.join(phase_dir(f, job_id, phase), "tasks")
    return max(mtime(os.path.join(tasks, t, "exit")) for t in os.listdir(tasks))


def daemon_run(f):
    """Submits hello-world and waits for the final status: (wall seconds, job id, gaps in seconds)."""
    start = time.time()
    job_id = f.submit(f.job("hello-world", test={"entry_point": True}))
    body = f.status(job_id)
    while body["status"] not in ("SUCCEEDED", "FAILED", "KILLED"):
        body = f.status(job_id, wait=30)
    end = time.time()
    check(body["status"] == "SUCCEEDED", f"hello-world through nbs-mcpd: {body}")
    launched = {p: mtime(os.path.join(phase_dir(f, job_id, p), "launch.json")) for p in ("build", "test", "publish")}
    ended = {p: task_exit_time(f, job_id, p) for p in ("build", "test", "publish")}
    gaps = [launched["build"] - start, launched["test"] - ended["build"], launched["publish"] - ended["test"],
            end - ended["publish"]]
    phases = {p: ended[p] - launched[p] for p in ("build", "test", "publish")}
    phases.update(build_breakdown(f, job_id, launched["build"], ended["build"]))
    # The record's times say when the daemon noticed each end: the gaps split into noticing and acting.
    times = {k: epoch(v) for k, v in body["times"].items() if v}
    phases.update({"seen: build exit -> build_end recorded": times["build_end"] - ended["build"],
                   "seen: test exit -> test_end recorded": times["test_end"] - ended["test"],
                   "seen: publish exit -> job_end recorded": times["job_end"] - ended["publish"],
                   "seen: job_end recorded -> client has it": end - times["job_end"]})
    return end - start, job_id, gaps, phases


def epoch(ts):
    from datetime import datetime
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def build_breakdown(f, job_id, launched, ended):
    """Where the build phase's time goes, from the runner's event timestamps (ms resolution)."""
    events = read_events(os.path.join(phase_dir(f, job_id, "build"), "tasks", "runner", "output.log"))
    first = epoch(events[0]["ts"])
    bud = next(epoch(e["ts"]) for e in events if e.get("text", "").startswith("$ ") and " bud " in e["text"])
    push = next(epoch(e["ts"]) for e in events if e.get("text", "").startswith("$ ") and " push " in e["text"])
    pushed = next(epoch(e["ts"]) for e in events if e.get("kind") == "result")
    last = epoch(events[-1]["ts"])
    return {"build: launch to runner's first event": first - launched, "build: git and set-up": bud - first,
            "build: bud": push - bud, "build: push and image size": pushed - push,
            "build: result to exit": ended - pushed, "build: of which after phase_end": ended - last}


def commands_of(f, job_id):
    """The exact argv of the job's bud, push and podman run."""
    events = read_events(os.path.join(phase_dir(f, job_id, "build"), "tasks", "runner", "output.log"))
    lines = [e["text"][2:] for e in events if e.get("kind") == "line" and e.get("text", "").startswith("$ ")]
    bud = [ln for ln in lines if " bud " in ln]
    push = [ln for ln in lines if " push " in ln]
    check(len(bud) == 1 and len(push) == 1, f"expected one bud and one push in the build log: {lines}")
    with open(os.path.join(phase_dir(f, job_id, "test"), "launch.json")) as fh:
        podman = json.load(fh)["tasks"][0]["argv"]
    import shlex
    return shlex.split(bud[0]), shlex.split(push[0]), podman


class Direct:
    """The same work without the daemon, as the build user."""

    def __init__(self, f):
        self.f = f
        user = pwd.getpwnam(BUILD_USER)
        self.uid, self.gid, self.home = user.pw_uid, user.pw_gid, user.pw_dir
        self.base_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                         "HOME": self.home, "CONTAINERS_REGISTRIES_CONF": f.registries_conf}

    def run(self, argv, env, cwd):
        start = time.perf_counter()
        r = subprocess.run(argv, env=env, cwd=cwd, user=self.uid, group=self.gid, extra_groups=[],
                           capture_output=True, text=True, timeout=600)
        took = time.perf_counter() - start
        check(r.returncode == 0, f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        return took, r.stdout

    def curl(self, *args):
        start = time.perf_counter()
        r = subprocess.run(["curl", "-sSf", *args], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"curl {' '.join(args)}: {r.stderr}")
        return time.perf_counter() - start, r.stdout

    def publish(self, temp_ref, final_ref):
        """nbs-runner publish's registry calls for a final tag in the temp image's repository."""
        host, rest = temp_ref.split("/", 1)
        repo, temp_tag = rest.rsplit(":", 1)
        final_tag = final_ref.rsplit(":", 1)[1]
        base = f"http://{host}/v2/{repo}"
        work = os.path.join(self.f.dir, "direct-publish")
        os.makedirs(work, exist_ok=True)
        manifest, headers = os.path.join(work, "manifest.json"), os.path.join(work, "headers")
        total = 0.0
        took, _ = self.curl("-H", f"Accept: {ACCEPT}", "-D", headers, "-o", manifest, f"{base}/manifests/{temp_tag}")
        total += took
        with open(manifest) as fh:
            media_type = json.load(fh).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
        took, _ = self.curl("-X", "PUT", "-H", f"Content-Type: {media_type}", "--data-binary", f"@{manifest}",
                            f"{base}/manifests/{final_tag}")
        total += took
        # The temp tag goes as nbs-runner removes it: a tombstone manifest on the tag, then its DELETE.
        import hashlib
        config = b"{}"
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        took, _ = self.curl("-o", "/dev/null", "-I", f"{base}/blobs/{config_digest}")
        total += took
        tomb = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": 2},
                           "layers": [], "annotations": {"io.nbs.tombstone": str(uuid.uuid4())}},
                          separators=(",", ":"))
        tomb_path = os.path.join(work, "tombstone.json")
        with open(tomb_path, "w") as fh:
            fh.write(tomb)
        took, _ = self.curl("-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json",
                            "--data-binary", f"@{tomb_path}", f"{base}/manifests/{temp_tag}")
        total += took
        tomb_digest = "sha256:" + hashlib.sha256(tomb.encode()).hexdigest()
        took, _ = self.curl("-X", "DELETE", f"{base}/manifests/{tomb_digest}")
        return total + took

    def round(self, template_job, bud, push, podman):
        """Runs the job's commands for a new id: {step: seconds}."""
        new_id = str(uuid.uuid4())
        work = os.path.join(self.f.dir, f"direct-{new_id}")
        old_work = os.path.join(phase_dir(self.f, template_job, "build"), "work")
        swap = lambda argv: [a.replace(old_work, work).replace(template_job, new_id) for a in argv]  # noqa: E731
        for sub in ("buildah/run", "buildah/tmp"):
            os.makedirs(os.path.join(work, sub), exist_ok=True)
        subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", work], check=True)
        env = dict(self.base_env, TMPDIR=os.path.join(work, "buildah", "tmp"))
        steps = {}
        repo_url = f"{self.f.git_url}/hello-world.git"
        steps["git clone"], _ = self.run(["git", "clone", "-q", "--depth", "1", "-b", "main", repo_url,
                                          os.path.join(work, "src")], env, work)
        steps["buildah bud"], _ = self.run(swap(bud), env, work)
        steps["buildah push"], _ = self.run(swap(push), env, work)
        podman_env = dict(self.base_env, USER=BUILD_USER)
        steps["podman run"], out = self.run(swap(podman), podman_env, work)
        check("Hello from the Nomad Build Service!" in out, f"the direct podman run printed: {out}")
        temp_ref = swap(push)[-1].removeprefix("docker://")
        final_ref = f"{self.f.registry}/examples/hello-world:{new_id}"
        steps["publish (curl)"] = self.publish(temp_ref, final_ref)
        status, digest, _ = self.f.manifest(final_ref)
        check(status == 200 and digest, f"the direct publish left no {final_ref}")
        return steps


def main(quick):
    rounds = 1 if quick else 5
    report = Report(quick)
    f = DaemonFixture("bench-orchestration")
    try:
        f.start()
        change_hello(f, "warm-up")
        _, warm_job, _, _ = daemon_run(f)
        bud, push, podman = commands_of(f, warm_job)
        direct = Direct(f)
        walls, directs, gap_rows, phase_rows, step_rows = [], [], [], [], []
        for i in range(rounds):
            change_hello(f, f"daemon {i}")
            wall, job_id, gaps, phases = daemon_run(f)
            change_hello(f, f"direct {i}")
            steps = direct.round(warm_job, bud, push, podman)
            walls.append(wall)
            directs.append(sum(steps.values()))
            gap_rows.append(gaps)
            phase_rows.append(phases)
            step_rows.append(steps)
            report.note(f"round {i}: daemon {wall:.3f} s, direct {sum(steps.values()):.3f} s")
        wall, direct_total = median(walls), median(directs)
        report.note("direct steps (median s): " + ", ".join(
            f"{k} {median([r[k] for r in step_rows]):.3f}" for k in step_rows[0]))
        report.note("daemon phases, launch to last task exit, and where the build phase and the gaps go "
                    "(median ms):")
        for k in phase_rows[0]:
            report.note(f"  {k}: {median([r[k] for r in phase_rows]) * 1000:.0f}")
        report.figure("hello-world through nbs-mcpd (local executor)", wall, " s", baseline=direct_total,
                      baseline_name="the same commands run directly", target="ratio <= 1.10",
                      ok=wall / direct_total <= 1.10)
        added_ms = (wall - direct_total) * 1000 / len(TRANSITIONS)
        report.figure("ms added per phase transition ((daemon - direct) / 4)", added_ms, " ms",
                      target="<= 300 ms", ok=added_ms <= 300)
        for n, name in enumerate(TRANSITIONS):
            gap_ms = median([g[n] for g in gap_rows]) * 1000
            report.figure(f"gap {name}", gap_ms, " ms", target="<= 300 ms",
                          ok=gap_ms <= 300)
    finally:
        f.stop()
    return report.finish()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("FAIL: needs root (the build user runs Buildah, as in tests/e2e)")
        sys.exit(1)
    run_main(main)
