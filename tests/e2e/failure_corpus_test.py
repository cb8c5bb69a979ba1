"""The failure corpus: seeded failures of every kind an agent meets, through nbs-mcpd on the local
executor. Each must end with the right status, failure class and phase; where the cause has text of the
user's (a RUN step's or a test's output, a ref, a path, an image name) its unique marker must be in
`failure.summary` or `failure.evidence`; the whole REST getStatus answer must stay within 2 KiB, and the
evidence within 20 lines with none of the tools' narration.

Besides the daemon fixture (daemon_test.py) it starts a stand-in registry answering every request 401
(listed insecure, so the refusal is about credentials, not TLS) and a second real docker-registry that is
NOT listed insecure (plain HTTP: a TLS failure). Private repositories are served by the test Git server
under private/, which wants credentials the jobs do not have. Jobs that do not share an image name run
at once. Prints a table (kind, class, bytes, evidence lines) and the figures BENCHMARKS.md quotes; with
NBS_CORPUS_ANSWERS=<file> it also writes every kind's whole getStatus answer there (JSON, by kind), the
source of docs/agent-guide.md's examples."""
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

HEAD = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
MAX_STATUS_BYTES = 2048
# Lines of Buildah's, podman's and the runner's narration that must never be evidence.
NOISE_PREFIXES = ("$ ", "STEP ", "Trying to pull", "Copying blob")


class CorpusFixture(DaemonFixture):
    """The daemon fixture plus a registry that answers 401 and a plain-HTTP registry not marked insecure."""

    extra_started = False

    def start_daemon(self):
        if not self.extra_started:
            self.extra_started = True
            self.auth_registry = harness.sh(os.path.join(harness.LIB, "start-auth-registry"),
                                            os.path.join(self.dir, "auth-reg"))
            self.tls_registry = harness.sh(os.path.join(harness.LIB, "start-registry"),
                                           os.path.join(self.dir, "tls-reg"))
            # The 401 registry is insecure (plain HTTP allowed), so what it refuses is the credentials;
            # the second real registry is left out, so a push to it meets plain HTTP where HTTPS is expected.
            with open(self.registries_conf, "a") as f:
                f.write(f'\n[[registry]]\nlocation = "{self.auth_registry}"\ninsecure = true\n')
        super().start_daemon()

    def stop(self):
        for name in ("auth-reg", "tls-reg"):
            subprocess.run([os.path.join(harness.LIB, "stop-registry"), os.path.join(self.dir, name)])
        super().stop()

    def status_bytes(self, job_id):
        """The REST getStatus answer, parsed, and its size in bytes."""
        with urllib.request.urlopen(f"{self.url}/mcp/job/{job_id}/status", timeout=60) as resp:
            raw = resp.read()
        return json.loads(raw), len(raw)

    def runner_pids(self, job_id):
        """The nbs-runner processes of the job (their spec path names it)."""
        found = []
        for line in self.job_processes(job_id):
            pid, cmdline = line.split(": ", 1)
            if cmdline.split(" ", 1)[0].endswith("nbs-runner"):
                found.append(int(pid))
        return found


class Kind:
    """One seeded failure: the repository it builds, the job's overrides, what getStatus must say."""

    def __init__(self, name, files=None, status="FAILED", klass=None, phase="build", marker=None,
                 task=None, action=None, output=None, summary=None, location=None, **job):
        self.name, self.files, self.status, self.klass = name, files, status, klass
        # Words the summary must hold, and the failure's exact location.
        self.summary, self.location = summary, location
        self.phase, self.marker, self.task, self.action, self.job = phase, marker, task, action, job
        # What a RUN step or test prints (`$((6*7))` in the command prints 42, so that the output is told
        # from the command's text); evidence must show it.
        self.output = output


def kinds(f):
    base_auth = f"{f.auth_registry}/corpus/base:1"
    slow = HEAD + "RUN echo {marker}-$((6*7)) && sleep 300\n"
    return [
        Kind("git-auth", {"Dockerfile": HEAD}, klass="git_auth", repo="private/corpus-auth",
             marker="private/corpus-auth"),
        Kind("git-ref", {"Dockerfile": HEAD}, klass="git_ref_not_found", git_ref="no-such-branch-m4k2",
             marker="no-such-branch-m4k2"),
        Kind("git-unreachable", None, klass="git_unreachable", repo="no-such-repo-q7w1",
             marker="no-such-repo-q7w1"),
        Kind("dockerfile-unknown-instruction", {"Dockerfile": "FROMM scratch\n"}, klass="dockerfile_syntax",
             marker="FROMM"),
        Kind("dockerfile-undefined-target", {"Dockerfile": HEAD + "RUN true\n"}, klass="dockerfile_syntax",
             target="no-such-stage-z8p3", marker="no-such-stage-z8p3"),
        Kind("copy-source-missing", {"Dockerfile": HEAD + "COPY missing-c5v9.txt /srv/\n"},
             klass="copy_source_missing", marker="missing-c5v9.txt"),
        Kind("base-image-not-found", {"Dockerfile": "FROM {registry}/corpus/no-such-base-b3n6:1\nRUN true\n"},
             klass="base_image_not_found", marker="no-such-base-b3n6"),
        Kind("base-image-auth", {"Dockerfile": f"FROM {base_auth}\nRUN true\n"}, klass="base_image_auth",
             marker=base_auth),
        Kind("build-step-failed", {"Dockerfile": HEAD + "RUN echo MARKER-step-r2d4-$((6*7)); exit 3\n"},
             klass="build_step_failed", output="MARKER-step-r2d4-42", location="Dockerfile:3"),
        Kind("test-failed-entrypoint", {"Dockerfile": HEAD + 'ENTRYPOINT ["/bin/echo", "entry"]\n'},
             klass="test_failed", phase="test", task="cmd-0", output="MARKER-test-t6y8-42",
             test={"commands": ["echo MARKER-test-t6y8-$((6*7)) >&2; exit 4"]}),
        Kind("test-no-shell", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS tools\nFROM scratch\n"
                                             "COPY --from=tools /bin/busybox /busybox\n"
                                             'ENTRYPOINT ["/busybox", "echo", "static"]\n'},
             klass="test_no_shell", phase="test", test={"commands": ["echo never"]}),
        Kind("registry-auth", {"Dockerfile": HEAD + "RUN echo built\n"}, klass="registry_auth",
             phase=("build", "publish"), registry_url=f.auth_registry, marker=f.auth_registry),
        Kind("registry-tls", {"Dockerfile": HEAD + "RUN echo built\n"}, klass="registry_tls",
             phase=("build", "publish"), registry_url=f.tls_registry, marker=f.tls_registry),
        Kind("deadline", {"Dockerfile": slow.replace("{marker}", "MARKER-deadline-d1e5")}, klass="deadline",
             output="MARKER-deadline-d1e5-42", build_timeout="30s", summary="deadline|build_timeout"),
        Kind("killed", {"Dockerfile": slow.replace("{marker}", "MARKER-killed-k9l0")}, status="KILLED",
             klass="killed", action="kill", output="MARKER-killed-k9l0-42", summary="killJob"),
        Kind("runner-sigkilled", {"Dockerfile": slow.replace("{marker}", "MARKER-sigkill-s3g7")},
             klass="internal", action="sigkill-runner", output="MARKER-sigkill-s3g7-42"),
    ]


def submit(f, kind):
    repo = kind.job.pop("repo", f"corpus-{kind.name}")
    if kind.files is not None:
        files = {k: v.replace("{registry}", f.registry) for k, v in kind.files.items()}
        f.make_repo(repo, files)
    config = f.job(repo, image_name=f"corpus/{kind.name}")
    config.update(kind.job)
    return f.submit(config)


def act(f, kind, job_id):
    """Kills the job, or its runner, once its RUN step runs."""
    f.wait_status(job_id, ("BUILDING",), timeout=300)
    query = "phase=build&mode=grep&pattern=" + urllib.parse.quote(kind.output)
    end = time.time() + 120
    while time.time() < end and not f.logs(job_id, query)["lines"]:
        time.sleep(0.5)
    check(f.logs(job_id, query)["lines"], f"{kind.name}: the slow RUN step never printed {kind.output}")
    if kind.action == "kill":
        status, body = f.call("POST", "/mcp/killJob", {"job_id": job_id})
        check(status == 200, f"killJob answered {status}: {body}")
        return
    pids = f.runner_pids(job_id)
    check(pids, f"no nbs-runner process of {job_id}: {f.job_processes(job_id)}")
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the runner's group guard (a fork with its command line) ended with the runner killed before it


def judge(f, kind, job_id):
    """(row, problems) for one finished job."""
    body, size = f.status_bytes(job_id)
    failure = body.get("failure") or {}
    evidence = failure.get("evidence") or []
    problems = []

    def want(condition, message):
        if not condition:
            problems.append(f"{kind.name}: {message}")

    want(body["status"] == kind.status, f"status {body['status']}, expected {kind.status}")
    klass = failure.get("class")
    want(klass == kind.klass, f"class {klass}, expected {kind.klass}")
    phases = kind.phase if isinstance(kind.phase, tuple) else (kind.phase,)
    if kind.action != "kill":
        want(failure.get("phase") in phases, f"phase {failure.get('phase')}, expected {kind.phase}")
    if kind.task:
        want(failure.get("task") == kind.task, f"task {failure.get('task')}, expected {kind.task}")
    if kind.marker:
        text = (failure.get("summary") or "") + "\n" + "\n".join(evidence)
        want(kind.marker in text, f"{kind.marker!r} is in neither summary nor evidence")
    if kind.summary:
        want(any(w in (failure.get("summary") or "") for w in kind.summary.split("|")),
             f"the summary says none of {kind.summary!r}")
    if kind.location:
        want(failure.get("location") == kind.location, f"location {failure.get('location')}, expected {kind.location}")
    want("subprocess exited with status" not in "\n".join(evidence).replace(
        "subprocess exited with status", "", 1), "Buildah's exit status line repeated in the evidence")
    if kind.output and not kind.action:
        want(any(kind.output in line for line in evidence), f"the output {kind.output!r} is not in the evidence")
    want(size <= MAX_STATUS_BYTES, f"getStatus is {size} bytes (> {MAX_STATUS_BYTES})")
    want(len(evidence) <= 20, f"{len(evidence)} evidence lines")
    noisy = [line for line in evidence if line.startswith(NOISE_PREFIXES)]
    want(not noisy, f"tool narration in the evidence: {noisy}")
    if kind.klass == "internal":
        step = body.get("next_step") or ""
        want(not any(w in step for w in ("Dockerfile", "fix", "commit")),
             f"next_step blames the repository: {step}")
    if problems:
        problems.append(f"{kind.name}: getStatus was {json.dumps(body)}")
    print(f"{kind.name}: {json.dumps(failure)}", flush=True)
    row = (kind.name, klass or "-", size, len(evidence), klass == kind.klass)
    return row, problems, body


def test_failure_corpus(f):
    corpus = kinds(f)
    start = time.time()
    # Every kind has its own image name, so no two share a build lock: all run at once.
    jobs = [(kind, submit(f, kind)) for kind in corpus]
    for kind, job_id in jobs:
        if kind.action:
            act(f, kind, job_id)
    rows, problems, answers = [], [], {}
    for kind, job_id in jobs:
        f.wait_final(job_id, timeout=600)
        row, found, answers[kind.name] = judge(f, kind, job_id)
        rows.append(row)
        problems += found
    if os.environ.get("NBS_CORPUS_ANSWERS"):
        with open(os.environ["NBS_CORPUS_ANSWERS"], "w") as out:
            json.dump(answers, out, indent=2)
    elapsed = time.time() - start
    print(f"{'kind':32} {'class':22} {'bytes':>5} {'evidence':>8}")
    for name, klass, size, lines, right in rows:
        print(f"{name:32} {klass:22} {size:5} {lines:8}{'' if right else '  WRONG'}")
    sizes = [r[2] for r in rows]
    lines = [r[3] for r in rows]
    print(f"classes right: {sum(r[4] for r in rows)}/{len(rows)}; getStatus bytes median "
          f"{statistics.median(sizes):.0f}, max {max(sizes)}; evidence lines median "
          f"{statistics.median(lines):.0f}, max {max(lines)}; jobs done in {elapsed:.0f} s", flush=True)
    check(not problems, "\n".join(problems))


if __name__ == "__main__":
    harness.main("e2e-corpus", [test_failure_corpus], fixture_class=CorpusFixture)
