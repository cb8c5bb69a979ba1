"""Test semantics on real image shapes: exec- and shell-form ENTRYPOINT, ENTRYPOINT + CMD, CMD only, a
non-root USER, a WORKDIR, an image without a shell (FROM scratch + a static binary) and a multi-stage build
with a target. For each shape a passing test → SUCCEEDED with its tag in the registry, and a failing one
(exit 4 with a marker on stderr) → FAILED naming the test phase and the marker, with no tag of the job left
in the registry (asked through the registry API). The same cases run on the local executor (podman) and on
the Nomad executor through nomad-sim (`--executor local|nomad`).

A test command runs as `/bin/sh -c <command>` with the image's ENTRYPOINT replaced, in its WORKDIR, as its
USER; `test.entry_point: true` runs ENTRYPOINT + CMD as the image defines them (docs/job-config.md)."""
import json
import os
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daemon_test  # noqa: E402
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

HEAD = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"

# name → (Dockerfile, build target, passing test config, what the passing test's log shows)
SHAPES = {
    "exec-entrypoint": (
        HEAD + 'RUN mkdir -p /usr/local/bin && printf "#!/bin/sh\\necho entry ran \\"\\$@\\"\\n" > '
               '/usr/local/bin/hello && chmod +x /usr/local/bin/hello\nENTRYPOINT ["/usr/local/bin/hello"]\n',
        "", {"commands": ["test -x /usr/local/bin/hello && echo command ran"], "entry_point": True},
        "command ran"),
    "shell-entrypoint": (
        HEAD + "ENTRYPOINT echo shell entry ran\n",
        "", {"commands": ["echo command ran in shell-form image"], "entry_point": True},
        "command ran in shell-form image"),
    "entrypoint-and-cmd": (
        HEAD + 'ENTRYPOINT ["/bin/echo", "entry"]\nCMD ["from-cmd"]\n',
        "", {"commands": ["echo command ran, not the entry point"], "entry_point": True},
        "command ran, not the entry point"),
    "cmd-only": (
        HEAD + 'CMD ["sh", "-c", "echo cmd only"]\n',
        "", {"commands": ["echo command ran"], "entry_point": True}, "command ran"),
    "non-root-user": (
        HEAD + 'RUN echo "app:x:1234:1234::/tmp:/bin/sh" >> /etc/passwd\nUSER app\n',
        "", {"commands": ['test "$(id -u)" = 1234 && echo ran as uid $(id -u)']}, "ran as uid 1234"),
    "workdir": (
        HEAD + "WORKDIR /srv/app\nRUN echo here > marker\n",
        "", {"commands": ['test "$(pwd)" = /srv/app && test -f marker && echo ran in $(pwd)']},
        "ran in /srv/app"),
    "multi-stage-target": (
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS build\nRUN echo built > /artifact\n"
        "FROM ${BASE_IMAGE} AS app\nCOPY --from=build /artifact /artifact\nENTRYPOINT [\"/bin/cat\", \"/artifact\"]\n"
        "FROM ${BASE_IMAGE} AS broken\nRUN exit 1\n",
        "app", {"commands": ['test "$(cat /artifact)" = built && echo artifact ok'], "entry_point": True},
        "artifact ok"),
    # No /bin/sh at all: a static busybox as the only file, run by its entry point.
    "no-shell": (
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS tools\nFROM scratch\nCOPY --from=tools /bin/busybox /busybox\n"
        'ENTRYPOINT ["/busybox", "echo", "static binary ran"]\n',
        "", {"entry_point": True}, "static binary ran"),
}


def tags(f, repo):
    try:
        with urllib.request.urlopen(f"http://{f.registry}/v2/{repo}/tags/list") as resp:
            return json.loads(resp.read()).get("tags") or []
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return []
        raise


def wait_no_tag_of(f, repo, job_id, timeout=90):
    """The temporary tag goes once the job has settled; no tag of the job may remain."""
    end = time.time() + timeout
    left = [t for t in tags(f, repo) if job_id in t]
    while left and time.time() < end:
        time.sleep(1)
        left = [t for t in tags(f, repo) if job_id in t]
    check(not left, f"tags of failed job {job_id} left in {repo}: {left}")


def all_logs(f, job_id, body):
    lines = list(body.get("excerpt") or [])
    for task in ("cmd-0", "entry-point"):
        status, logs = f.call("GET", f"/mcp/job/{job_id}/logs?phase=test&task={task}")
        if status == 200:
            lines += logs.get("lines", [])
    return "\n".join(lines)


def submit_shape(f, name, test):
    dockerfile, target, _, _ = SHAPES[name]
    config = f.job(f"shape-{name}", test=test)
    if target:
        config["target"] = target
    return f.submit(config)


def run_shapes(f):
    for name, (dockerfile, _, _, _) in SHAPES.items():
        f.make_repo(f"shape-{name}", {"Dockerfile": dockerfile})
    failing = {"commands": ["echo MARKER-{name} >&2; exit 4"]}
    jobs = {}
    # Submitted at once: each shape is its own image, so the builds run side by side.
    for name, (_, _, passing, _) in SHAPES.items():
        jobs[(name, "pass")] = submit_shape(f, name, passing)
        fail = {"commands": [failing["commands"][0].format(name=name)]}
        jobs[(name, "fail")] = submit_shape(f, name, fail)
    f.shape_jobs = list(jobs.values())
    problems = []
    for (name, kind), job_id in jobs.items():
        body = f.wait_final(job_id, timeout=900)
        repo = f"examples/shape-{name}"
        logs = all_logs(f, job_id, body)
        if kind == "pass":
            shown = SHAPES[name][3]
            if body["status"] != "SUCCEEDED":
                problems.append(f"{name}: the passing test ended {body['status']}: {body.get('error')}\n{logs}")
            elif shown not in logs:
                problems.append(f"{name}: the passing test's log lacks {shown!r}:\n{logs}")
            elif job_id not in tags(f, repo):
                problems.append(f"{name}: SUCCEEDED but its tag {job_id} is not in {repo}: {tags(f, repo)}, "
                                f"images {body.get('images')}")
            continue
        marker = "no /bin/sh" if name == "no-shell" else f"MARKER-{name}"
        text = (body.get("error") or "") + "\n" + logs
        if body["status"] != "FAILED" or body.get("failed_phase") != "test":
            problems.append(f"{name}: a failing test ended {body['status']} ({body.get('failed_phase')}): "
                            f"{body.get('error')}")
        elif marker not in text:
            problems.append(f"{name}: the failure does not show {marker!r}: {body.get('error')}\n{logs}")
        if name == "no-shell" and "entry_point" not in (body.get("error") or ""):
            problems.append(f"no-shell: the error does not suggest test.entry_point: {body.get('error')}")
        try:
            wait_no_tag_of(f, repo, job_id)
        except harness.Failure as e:
            problems.append(str(e))
    check(not problems, "\n".join(problems))


def test_image_shapes(f):
    run_shapes(f)


def test_no_test_container_outlives_its_job(f):
    """Every job of the matrix has ended: no container or process of any of them is left."""
    check(getattr(f, "shape_jobs", None), "the matrix did not run")
    for job_id in f.shape_jobs:
        f.check_nothing_left(job_id, timeout=30)


if __name__ == "__main__":
    DaemonFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    daemon_test.harness.main(f"shapes-{DaemonFixture.executor}", [
        test_image_shapes,
        test_no_test_container_outlives_its_job,
    ], fixture_class=DaemonFixture)
