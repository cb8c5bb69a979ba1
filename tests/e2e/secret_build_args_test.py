"""A build arg marked secret (`secret_build_args`) never shows its value: nbs-mcpd, on the local executor
or on Nomad (nomad-sim, `--executor nomad`), builds a Dockerfile whose RUN echoes the secret to stdout and stderr, then fails. The value is a unique
marker, and every place an operator or another user of the node could look is searched for it:

- getLogs of the build phase (whole log, and a grep for the marker), getStatus (failure summary and
  evidence), getHistory;
- the process table (/proc/*/cmdline and /proc/*/environ of processes not run by the build user), sampled
  every 20 ms from submit until the job ends: Buildah's `--build-arg` argv is visible to every user;
- every file under the daemon's state directory once the job has ended (records, phase specs, logs);
- the daemon's own log;
- on Nomad: the build phase's job definition (readable by every holder of read-job), the simulated
  cluster's whole data directory but the task's own secrets dir (where Nomad's template renders the
  value for the runner, as it must), and the Variable that carried it, which must be gone.

The RUN's output must show `***` where the value was (the runner masked it) and the value's sha256, which
proves that Buildah did get the real value (through its environment), not `***` itself."""
import base64
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

DOCKERFILE = ("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG NPM_TOKEN\nARG VISIBLE\n"
              "RUN sleep 2 && echo \"token is $NPM_TOKEN, visible is $VISIBLE\" && "
              "echo \"token digest $(printf %s \"$NPM_TOKEN\" | sha256sum)\" && "
              "echo \"stderr has $NPM_TOKEN\" >&2 && exit 3\n")


def setuid_id_map_helper(cmdline):
    return cmdline.split(b"\0", 1)[0] in (b"/usr/bin/newuidmap", b"/usr/bin/newgidmap")


class ProcessSampler:
    """Reads every process's command line (and, for processes of other users than the build user, its
    environment) until stopped; remembers each one holding the marker."""

    def __init__(self, marker, build_uid):
        self.marker = marker.encode()
        self.build_uid = build_uid
        self.found = []
        self.samples = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.samples += 1
            self.stopping.wait(0.02)

    def sample(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read()
                shown = cmdline.replace(b"\0", b" ")[:300]
                if self.marker in cmdline:
                    self.found.append(f"cmdline of {pid}: {shown!r}")
                # Buildah (the build user's) gets the value in its environment, which only that user and
                # root can read; any other process holding it would be a leak. Except the setuid ID-map
                # helpers Buildah runs to set up its user namespace: they inherit its environment, and
                # a setuid process's environ is readable by root alone.
                if os.stat(f"/proc/{pid}").st_uid != self.build_uid and not setuid_id_map_helper(cmdline):
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        if self.marker in f.read():
                            self.found.append(f"environ of {pid}: {shown!r}")
            except OSError:
                continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def files_holding(root, marker):
    found = []
    for base, _, names in os.walk(root):
        for name in names:
            path = os.path.join(base, name)
            try:
                with open(path, "rb") as f:
                    if marker.encode() in f.read():
                        found.append(os.path.relpath(path, root))
            except OSError:
                continue
    return found


def test_secret_build_arg_is_masked_everywhere(f):
    marker = "nbs-secret-" + uuid.uuid4().hex
    f.make_repo("secret-arg", {"Dockerfile": DOCKERFILE})
    config = f.job("secret-arg", build_args={"BASE_IMAGE": f.base, "NPM_TOKEN": marker, "VISIBLE": "plain-value"},
                   secret_build_args=["NPM_TOKEN"])
    build_uid = int(harness.sh("id", "-u", "build"))
    with ProcessSampler(marker, build_uid) as sampler:
        job_id = f.submit(config)
        final = f.wait_final(job_id)
    check(final["status"] == "FAILED" and final.get("failed_phase") == "build",
          f"the RUN exits 3, the build must fail: {final}")

    # Every place is searched, and every leak reported at once.
    problems = []
    logs = f.logs(job_id, "phase=build&mode=tail&tail_lines=400")
    text = json.dumps(logs)
    # Buildah got the value (through its environment, not its argv) and the runner masked it.
    if "token is ***, visible is plain-value" not in text or "stderr has ***" not in text:
        problems.append(f"the RUN's output does not show the masked value: {text[-3000:]}")
    # *** could also be the value itself: the digest the RUN printed proves it saw the real one.
    if "token digest " + hashlib.sha256(marker.encode()).hexdigest() not in text:
        problems.append(f"the RUN did not see the secret's value (its sha256 is not in the log): {text[-3000:]}")
    places = {
        "getLogs": text,
        "getLogs grep": json.dumps(f.logs(job_id, f"phase=build&mode=grep&pattern={marker}")),
        "getStatus": json.dumps(f.status(job_id)),
        "getHistory": json.dumps(f.call("POST", "/mcp/getHistory", {"owner": "e2e", "limit": 100})[1]),
    }
    problems += [f"{place} shows the secret build arg" for place, content in places.items() if marker in content]
    check(sampler.samples > 10, f"the process table was sampled only {sampler.samples} times")
    problems += [f"the process table shows the secret build arg: {found}" for found in sampler.found[:5]]

    # Once the job has ended nothing under the state directory holds the value: not the job record, not
    # the phase's spec, not its log.
    f.check_nothing_left(job_id)
    problems += [f"{path} under the state directory holds the secret build arg"
                 for path in files_holding(f.state, marker)]
    with open(os.path.join(f.dir, "nbs-mcpd.log")) as log:
        if marker in log.read():
            problems.append("the daemon's log shows the secret build arg")
    if f.executor == "nomad":
        problems += nomad_leaks(f, job_id, marker)
    check(not problems, "\n".join(problems))


def nomad_leaks(f, job_id, marker):
    problems = []
    build_job = f"nbs-{job_id}-build"
    with urllib.request.urlopen(f"{f.nomad_addr}/v1/job/{build_job}") as resp:
        definition = resp.read().decode()
    if marker in definition:
        problems.append("the build phase's Nomad job definition holds the secret build arg")
    if "nomadVar" not in definition:
        problems.append("the build phase's job has no template reading the secrets variable")
    try:
        urllib.request.urlopen(f"{f.nomad_addr}/v1/var/nomad/jobs/{build_job}")
        problems.append(f"the Variable nomad/jobs/{build_job} still exists after the job ended")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            problems.append(f"reading the Variable nomad/jobs/{build_job}: HTTP {e.code}")
    # The runner's copy, rendered by the template into the task's secrets dir: it held the value (encoded),
    # owner-only; everything else under the cluster's data directory must not.
    data = os.path.join(f.dir, "nomad")
    rendered = [os.path.join(base, name) for base, _, names in os.walk(data) for name in names
                if name == "build-args" and os.path.basename(base) == "secrets"]
    if len(rendered) != 1:
        problems.append(f"expected one rendered secrets/build-args, found {rendered}")
    else:
        with open(rendered[0], "rb") as fh:
            if marker.encode() not in base64.b64decode(fh.read().strip()):
                problems.append("secrets/build-args does not hold the value")
        if os.stat(rendered[0]).st_mode & 0o077:
            problems.append(f"secrets/build-args is readable by others: {oct(os.stat(rendered[0]).st_mode)}")
    problems += [f"{path} under nomad-sim's data directory holds the secret build arg"
                 for path in files_holding(data, marker)]
    with open(os.path.join(f.dir, "nomad-sim.log")) as log:
        if marker in log.read():
            problems.append("nomad-sim's log shows the secret build arg")
    return problems

if __name__ == "__main__":
    DaemonFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-secret-build-args-{DaemonFixture.executor}", [test_secret_build_arg_is_masked_everywhere], fixture_class=DaemonFixture)
