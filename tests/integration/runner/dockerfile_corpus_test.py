"""The Dockerfile preflight against real rootless Buildah (issue 15 items 3 and 4). Each Dockerfile of
dockerfile_corpus.py is built with `buildah bud` as the build user and checked with the runner's
preflight (nbs-preflight-probe): a valid one must build AND pass, with the STEP lines Buildah prints
matching the preflight's step plan; an invalid one must be reported with the expected class and line,
and Buildah must fail on it too. Then nbs-runner itself: a preflight failure fails the build phase
without running Buildah, and multi-stage step events carry the overall k/n and the stage name."""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import time

from dockerfile_corpus import INVALID, VALID
from harness import Fixture, check, main

STEP = re.compile(r"^(?:\[(\d+)/(\d+)\] )?STEP (\d+)/(\d+): ")


class CorpusFixture(Fixture):
    def start(self):
        super().start()
        self.probe = os.environ.get("NBS_PREFLIGHT_PROBE")
        check(self.probe and os.access(self.probe, os.X_OK), "NBS_PREFLIGHT_PROBE must name nbs-preflight-probe")
        self.corpus = os.path.join(self.dir, "corpus")
        for d in ("store", "run", "home"):
            os.makedirs(os.path.join(self.corpus, d))
        shutil.chown(self.corpus, "build")
        for d in ("store", "run", "home"):
            shutil.chown(os.path.join(self.corpus, d), "build")
        return self

    def write_case(self, case):
        """The case's repository under corpus/<name>, readable by the build user."""
        repo = os.path.join(self.corpus, "repos", case["name"])
        files = dict(case.get("files", {"a.txt": "a\n"}))
        if case.get("dockerfile") is not None:
            files[case.get("dockerfile_path", "Dockerfile")] = case["dockerfile"].replace("{base}", self.base)
        for path, content in files.items():
            full = os.path.join(repo, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", newline="") as f:
                f.write(content)
        subprocess.run(["chown", "-R", "build", os.path.join(self.corpus, "repos")], check=True)
        return repo

    def preflight(self, case, repo):
        argv = [self.probe, "--repository", repo, "--dockerfile", case.get("dockerfile_path", "Dockerfile"),
                "--context", case.get("context", ".")]
        if case.get("target"):
            argv += ["--target", case["target"]]
        for k, v in case.get("build_args", {}).items():
            argv += ["--build-arg", f"{k}={v}"]
        r = subprocess.run(argv, capture_output=True, text=True)
        check(r.returncode == 0, f"{case['name']}: probe failed: {r.stderr}")
        return json.loads(r.stdout)

    def bud(self, case, repo):
        argv = ["runuser", "-u", "build", "--", "env", "-i", "PATH=/usr/bin:/bin",
                "HOME=" + os.path.join(self.corpus, "home"), "CONTAINERS_REGISTRIES_CONF=" + self.registries_conf,
                "buildah", "--root", os.path.join(self.corpus, "store"), "--runroot",
                os.path.join(self.corpus, "run"), "--storage-driver", "overlay", "bud", "--layers",
                "--isolation", "chroot", "--file", os.path.join(repo, case.get("dockerfile_path", "Dockerfile"))]
        if case.get("target"):
            argv += ["--target", case["target"]]
        for k, v in case.get("build_args", {}).items():
            argv += ["--build-arg", f"{k}={v}"]
        argv.append(os.path.join(repo, case.get("context", ".")))
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        return r.returncode, r.stdout + r.stderr


def run_corpus(fx, cases, judge):
    """Runs `judge` on every case, two Buildah builds at a time; fails listing every bad case."""
    def one(case):
        repo = fx.write_case(case)
        report = fx.preflight(case, repo)
        code, output = fx.bud(case, repo)
        return judge(case, report, code, output)

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for p in pool.map(one, cases) if p]
    print(f"  {len(cases)} Dockerfiles in {time.time() - start:.1f}s", flush=True)
    check(not problems, "\n".join(problems))


def judge_valid(case, report, code, output):
    name = case["name"]
    if code != 0:
        return f"{name}: buildah failed ({code}):\n{output[-1500:]}"
    if report["findings"]:
        return f"{name}: Buildah builds it but the preflight reports {report['findings']}"
    plan = report["plan"]
    steps = [STEP.match(line) for line in output.splitlines()]
    steps = [m for m in steps if m]
    stages = {int(m.group(1) or 0) for m in steps}
    counts = {int(m.group(2) or 1) for m in steps}
    planned = {s["number"] for s in plan["stages"]} if plan["stage_count"] > 1 else {0}
    if len(steps) != plan["total_steps"] or stages != planned or counts != {plan["stage_count"]}:
        return (f"{name}: Buildah printed {len(steps)} steps of stages {sorted(stages)} (of {sorted(counts)}), "
                f"the plan says {plan}")
    return None


def judge_invalid(case, report, code, output):
    name = case["name"]
    findings = report["findings"]
    if not findings:
        return f"{name}: the preflight passes what Buildah does with exit {code}"
    first = (findings[0]["class"], findings[0]["line"])
    if first != case["expect"]:
        return f"{name}: expected {case['expect']}, the preflight says {findings}"
    if code == 0:
        return f"{name}: the preflight reports {findings[0]['text']} but Buildah builds it"
    print(f"  {name}: {findings[0]['text']}", flush=True)
    return None


def test_valid_dockerfiles_build_and_pass_with_the_planned_steps(fx):
    check(len(VALID) >= 40, f"only {len(VALID)} valid Dockerfiles")
    run_corpus(fx, VALID, judge_valid)


def test_invalid_dockerfiles_are_reported_on_their_line_and_fail_in_buildah(fx):
    check(len(INVALID) >= 20, f"only {len(INVALID)} invalid Dockerfiles")
    run_corpus(fx, INVALID, judge_invalid)


def test_a_preflight_failure_fails_the_phase_without_buildah(fx):
    fx.make_repo("fromm", {"Dockerfile": "FROMM scratch\n"})
    run = fx.run("build", fx.spec("fromm"))
    check(run.code == 11, run.describe())
    message = "Dockerfile:1: unknown instruction FROMM (did you mean FROM?)"
    check(run.end()["text"] == "build_failed: " + message, run.end())
    errors = [(e["text"], e.get("class"), e.get("location")) for e in run.kind("error")]
    check(errors == [(message, "dockerfile_syntax", "Dockerfile:1")], errors)
    check(not any(t.startswith("$ ") and "buildah" in t for t in run.texts()), "Buildah was started")
    check(run.result()["reason"] == "build_failed", run.result())


def test_a_missing_copy_source_names_the_dockerignore(fx):
    fx.make_repo("ignored", {"Dockerfile": f"FROM {fx.base}\nRUN true\nCOPY app.txt /app.txt\n", "app.txt": "v1\n",
                             ".dockerignore": "*.txt\n"})
    run = fx.run("build", fx.spec("ignored"))
    check(run.code == 11, run.describe())
    check(run.end()["text"] == "build_failed: Dockerfile:3: COPY source app.txt is not in the build context "
          "(context: the repository root; .dockerignore excludes it)", run.end())
    errors = [(e.get("class"), e.get("location")) for e in run.kind("error")]
    check(errors == [("copy_source_missing", "Dockerfile:3")], errors)


def test_a_dockerfile_linking_out_of_the_repository_is_left_to_buildah(fx):
    """The runner may run as root: a Dockerfile outside the repository is read by Buildah as the build
    user, never by the preflight (whose messages would quote it)."""
    outside = os.path.join(fx.dir, "outside")
    os.makedirs(outside)
    with open(os.path.join(outside, "Dockerfile"), "w") as f:
        f.write("FROM scratch\nCOPY a.txt /a\n")
    for path in (outside, os.path.join(outside, "Dockerfile")):
        os.chmod(path, 0o755)
    src = fx.make_repo("linked", {"a.txt": "a\n"})
    os.symlink(os.path.join(outside, "Dockerfile"), os.path.join(src, "Dockerfile"))
    fx.commit(src, {}, "a Dockerfile linking out")
    fx.push(src, "main")
    run = fx.run("build", fx.spec("linked"))
    check(run.code == 0, run.describe())
    check("preflight: skipped, Dockerfile links out of the repository" in run.texts(), run.describe())
    check([(e["step"], e["steps"]) for e in run.kind("step")] == [(1, 2), (2, 2)], run.kind("step"))


def test_step_events_count_across_stages(fx):
    stages = next(c for c in VALID if c["name"] == "transitive_stages")
    fx.make_repo("stages", {"Dockerfile": stages["dockerfile"], "a.txt": "a\n"})
    run = fx.run("build", fx.spec("stages"))
    check(run.code == 0, run.describe())
    steps = [(e["step"], e["steps"], e["text"].split("] ")[0] + "]") for e in run.kind("step")]
    labels = [s[2] for s in steps]
    check([s[:2] for s in steps] == [(i, 11) for i in range(1, 12)], f"steps {steps}")
    # Buildah builds a, c, d, b and the last stage (unnamed, index 5) in an order of its own.
    check(sorted(set(labels)) == ["[5]", "[a]", "[b]", "[c]", "[d]"] and labels[-1] == "[5]", f"labels {labels}")
    check(any(t.startswith("preflight: Dockerfile ok, 11 steps in 5 stage(s), ") for t in run.texts()),
          "no preflight line")


def test_preflight_time_on_a_large_context(fx):
    """Prints the preflight's time on 20,000 files (no timed assertion: speed is measured, not tested)."""
    repo = os.path.join(fx.dir, "large")
    for d in range(200):
        os.makedirs(os.path.join(repo, f"pkg{d}", "src"))
        for f in range(100):
            with open(os.path.join(repo, f"pkg{d}", "src", f"f{f}.go"), "w") as out:
                out.write("package x\n")
    with open(os.path.join(repo, ".dockerignore"), "w") as f:
        f.write("**/*_test.go\n*.md\npkg1*/\n!pkg10/src/f1.go\n")
    with open(os.path.join(repo, "Dockerfile"), "w") as f:
        f.write("FROM scratch AS build\nCOPY . /src\nCOPY pkg5/src/*.go /five/\nCOPY pkg*/src/f99.go /n/\n"
                "COPY pkg10 /ten\nFROM scratch\nCOPY --from=build /src /src\n")
    case = {"name": "large"}
    times = [fx.preflight(case, repo)["ms"] for _ in range(5)]
    report = fx.preflight(case, repo)
    check(report["findings"] == [], report)
    print(f"  preflight on 20,000 files: {min(times):.1f} ms best, {max(times):.1f} ms worst of 5", flush=True)


if __name__ == "__main__":
    main("dockerfile-corpus", [
        test_valid_dockerfiles_build_and_pass_with_the_planned_steps,
        test_invalid_dockerfiles_are_reported_on_their_line_and_fail_in_buildah,
        test_a_preflight_failure_fails_the_phase_without_buildah,
        test_a_missing_copy_source_names_the_dockerignore,
        test_a_dockerfile_linking_out_of_the_repository_is_left_to_buildah,
        test_step_events_count_across_stages,
        test_preflight_time_on_a_large_context,
    ], CorpusFixture)
