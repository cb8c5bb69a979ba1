"""nbs against a live nbs-mcpd: every command, --json output parsed, exit codes, flags before and after
the positional arguments. The daemon runs the local executor with tests/unit/testutil/fake_runner as its
runner (it succeeds, fails or sleeps as the job's build_args FAKE_BUILD_EXIT / FAKE_BUILD_SLEEP_MS say),
so this takes seconds and needs no Buildah or registry. Binaries come from ctest's ENVIRONMENT: NBS,
NBS_MCPD, FAKE_RUNNER."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

NBS = os.environ.get("NBS", "")
NBS_MCPD = os.environ.get("NBS_MCPD", "")
FAKE_RUNNER = os.environ.get("FAKE_RUNNER", "")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

JOB = """\
# A job as a person writes it; registry_url comes from the --global defaults.
owner: cli-test
repo_url: https://git.example/team/app.git
image_name: team/app
"""
GLOBAL = """\
registry_url: reg.example:5000
image_tags: [latest]
build_args:
  FAKE_BUILD_SLEEP_MS: "200"
"""


def probe():
    """Why this test cannot run here, or None."""
    for name, path in (("NBS", NBS), ("NBS_MCPD", NBS_MCPD), ("FAKE_RUNNER", FAKE_RUNNER)):
        if not path or not os.access(path, os.X_OK):
            return f"{name} is not an executable: '{path}' (run through ctest)"
    if os.geteuid() == 0:
        r = subprocess.run(["id", "-u", "build"], capture_output=True)
        if r.returncode != 0:
            return "running as root, but there is no 'build' user for nbs-mcpd (scripts/setup-build-user)"
    return None


class Daemon:
    """nbs-mcpd on 127.0.0.1 with an ephemeral port, its state in a fresh directory."""

    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="nbs-cli-e2e-")
        os.chmod(self.dir, 0o755)  # the build user's tasks write below it
        self.log_path = os.path.join(self.dir, "nbs-mcpd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [NBS_MCPD, "--listen", "127.0.0.1:0", "--state-dir", os.path.join(self.dir, "state"),
             "--runner", FAKE_RUNNER, "--log-level", "info", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nbs-mcpd exited {self.proc.returncode}:\n{self.log_text()}")
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.log_text())
            if m:
                return m.group(1)
            time.sleep(0.05)
        raise RuntimeError(f"nbs-mcpd did not start:\n{self.log_text()}")

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class NbsTestCase(unittest.TestCase):
    daemon_args = ()

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(*cls.daemon_args)
        cls.files = tempfile.mkdtemp(prefix="nbs-cli-e2e-files-")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.files, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.files, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def nbs(self, *args, env=None, stdin=None, timeout=90):
        """Runs nbs with NBS_URL pointing at the daemon; returns (exit code, stdout, stderr)."""
        full_env = dict(os.environ, NBS_URL=self.daemon.url)
        full_env.pop("NBS_TOKEN", None)
        full_env.update(env or {})
        r = subprocess.run([NBS, *args], capture_output=True, text=True, env=full_env, input=stdin,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def nbs_json(self, *args, expect=0, **kw):
        code, out, err = self.nbs(*args, **kw)
        self.assertEqual(code, expect, f"nbs {' '.join(args)}: {out}{err}")
        return json.loads(out)

    def submit(self, build_args=""):
        job = self.write("job.yaml", JOB + (f"build_args:\n{build_args}" if build_args else ""))
        glob = self.write("global.yaml", GLOBAL)
        return self.nbs_json("submit", job, "--global", glob, "--json")["job_id"]


class CommandsTest(NbsTestCase):
    def test_health(self):
        code, out, err = self.nbs("health")
        self.assertEqual(code, 0, err)
        self.assertIn("alive, ready", out)
        doc = self.nbs_json("health", "--json")
        self.assertEqual(doc["health"]["status"], "ok")
        self.assertEqual(doc["ready"]["status"], "ready")

    def test_submit_watch_succeeds_and_prints_the_image(self):
        job = self.write("ok.yaml", JOB)
        glob = self.write("ok-global.yaml", GLOBAL)
        code, out, err = self.nbs("submit", job, "--global", glob, "--image-tags", "v1,v2", "--watch")
        self.assertEqual(code, 0, out + err)
        job_id = re.search(rf"^job ({UUID})$", out, re.M).group(1)
        self.assertIn("SUCCEEDED in ", out)
        self.assertIn(f"  image:  reg.example:5000/team/app:{job_id}\n", out)
        self.assertIn("  image:  reg.example:5000/team/app:v1\n", out)
        self.assertIn("  image:  reg.example:5000/team/app:v2\n", out)
        self.assertNotIn(":latest", out)  # --image-tags replaced the global's tags
        self.assertIn("  digest: sha256:feed\n", out)

    def test_submit_watch_json_prints_the_final_status(self):
        job = self.write("okj.yaml", JOB)
        glob = self.write("okj-global.yaml", GLOBAL)
        doc = self.nbs_json("--json", "submit", "-w", job, "--global", glob)
        self.assertEqual(doc["status"], "SUCCEEDED")
        self.assertEqual(doc["images"], [f"reg.example:5000/team/app:{doc['job_id']}",
                                         "reg.example:5000/team/app:latest"])

    def test_a_failing_build_exits_1_with_the_excerpt(self):
        job = self.write("fail.yaml", JOB + 'build_args:\n  FAKE_BUILD_EXIT: "3"\n')
        glob = self.write("fail-global.yaml", GLOBAL)
        code, out, err = self.nbs("submit", job, "--watch", "--global", glob)
        self.assertEqual(code, 1, out + err)
        job_id = re.search(rf"^job ({UUID})$", out, re.M).group(1)
        self.assertIn("FAILED (build_step_failed) in the build phase after ", out)
        self.assertIn(": RUN make: exit status 3 [Dockerfile:3]\n", out)
        self.assertIn("\n  | make: *** [all] Error 3\n", out)
        self.assertIn("\nNext: A build step failed (Dockerfile:3)", out)
        self.assertIn(f"The whole log: nbs logs {job_id} --phase build\n", out)
        # status of the finished job: 0 without --wait, the outcome with it
        code, out, _ = self.nbs("status", job_id)
        self.assertEqual(code, 0)
        self.assertIn("status   FAILED\n", out)
        code, _, _ = self.nbs("status", job_id, "--wait", "5")
        self.assertEqual(code, 1)
        # logs: tail, grep, --json
        code, out, _ = self.nbs("logs", job_id)
        self.assertEqual(code, 0)
        self.assertIn("RUN make: exit status 3", out)
        code, out, _ = self.nbs("logs", job_id, "--grep", "exit status [0-9]", "--phase", "build")
        self.assertEqual(code, 0)
        self.assertEqual(len(out.splitlines()), 1, out)
        doc = self.nbs_json("logs", job_id, "--tail", "1", "--json")
        self.assertEqual(doc["phase"], "build")
        self.assertEqual(len(doc["lines"]), 1)
        self.assertIn("exit status 3", doc["lines"][0])
        # a phase that never ran
        code, _, err = self.nbs("logs", job_id, "--phase", "test")
        self.assertEqual(code, 5, err)

    def test_an_invalid_job_exits_2_naming_each_field(self):
        bad = self.write("bad.yaml", "image_name: Team/App\nrepo_url: ftp://x/y\nbogus: 1\n")
        code, out, err = self.nbs("submit", bad)
        self.assertEqual(code, 2, out + err)
        self.assertIn("nbs: the daemon rejected the job (", err)
        for field in ("owner", "repo_url", "image_name", "registry_url", "bogus"):
            self.assertRegex(err, rf"\n  {field}: ")
        doc = self.nbs_json("submit", bad, "--json", expect=2)
        self.assertEqual(doc["code"], "invalid_argument")
        self.assertEqual({d["field"] for d in doc["details"]},
                         {"owner", "repo_url", "image_name", "registry_url", "bogus"})

    def test_an_unreadable_job_file_exits_2_naming_the_line(self):
        broken = self.write("broken.yaml", "owner: a\nowner: b\n")
        code, _, err = self.nbs("submit", broken)
        self.assertEqual(code, 2)
        self.assertIn(f"{broken}:2:1: duplicate key 'owner'", err)
        code, _, err = self.nbs("submit", os.path.join(self.files, "missing.yaml"))
        self.assertEqual(code, 2)
        self.assertIn("missing.yaml: cannot read", err)

    def test_submit_reads_standard_input(self):
        doc = {"owner": "cli-test", "repo_url": "https://git.example/a.git", "image_name": "team/piped",
               "registry_url": "reg.example:5000"}
        answer = self.nbs_json("submit", "-", "--json", stdin=json.dumps(doc))
        self.assertRegex(answer["job_id"], UUID)
        code, out, _ = self.nbs("submit", "-", stdin="owner: cli-test\nrepo_url: https://git.example/b.git\n"
                                                     "image_name: team/piped\nregistry_url: reg.example:5000\n")
        self.assertEqual(code, 0)
        self.assertRegex(out, rf"^{UUID}\n$")

    def test_status_wait_that_ends_first_exits_6(self):
        job_id = self.submit('  FAKE_BUILD_SLEEP_MS: "20000"\n')
        code, out, _ = self.nbs("status", job_id, "--wait", "1")
        self.assertEqual(code, 6, out)
        self.assertIn("still ", out)
        self.nbs("kill", job_id)

    def test_kill_then_wait_exits_3(self):
        job_id = self.submit('  FAKE_BUILD_SLEEP_MS: "20000"\n')
        code, out, err = self.nbs("kill", job_id)
        self.assertEqual(code, 0, err)
        self.assertIn(f"job {job_id}", out)
        code, out, _ = self.nbs("status", job_id, "--wait", "30")
        self.assertEqual(code, 3, out)
        self.assertIn("KILLED after ", out)
        doc = self.nbs_json("status", job_id, "--json")
        self.assertEqual(doc["status"], "KILLED")
        doc = self.nbs_json("kill", job_id, "--json")  # killing a finished job changes nothing
        self.assertEqual(doc["status"], "KILLED")

    def test_logs_follow_ends_with_the_phase(self):
        job_id = self.submit('  FAKE_BUILD_SLEEP_MS: "2500"\n')
        start = time.time()
        code, out, err = self.nbs("logs", job_id, "--follow", timeout=60)
        self.assertEqual(code, 0, err)
        self.assertIn("on stderr", out)
        self.assertGreater(time.time() - start, 1.0, "follow returned before the phase ended")
        self.assertEqual(self.nbs_json("status", job_id, "--json")["status"], "SUCCEEDED")

    def test_watch_history_and_cleanup(self):
        job_id = self.submit()
        code, out, _ = self.nbs("watch", job_id)
        self.assertEqual(code, 0, out)
        doc = self.nbs_json("history", "--owner", "cli-test", "--limit", "100", "--json")
        self.assertIn(job_id, [j["job_id"] for j in doc["jobs"]])
        self.assertGreaterEqual(doc["total"], 1)
        code, out, _ = self.nbs("history", "--limit", "2")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("JOB "), out)
        self.assertRegex(out, r"\n2 of \d+ jobs\n$")
        doc = self.nbs_json("cleanup", job_id, "--json")
        self.assertIn(f"nbs-{job_id}-build", doc["removed"])
        code, out, _ = self.nbs("cleanup", "--all")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^removed \d+ phases?\n")

    def test_global_options_before_or_after_the_command(self):
        job_id = self.submit()
        for args in (["--json", "status", job_id], ["status", job_id, "--json"],
                     ["status", "--json", job_id, "--url", self.daemon.url]):
            self.assertEqual(self.nbs_json(*args)["job_id"], job_id)

    def test_an_unknown_job_exits_5(self):
        code, _, err = self.nbs("status", "00000000-0000-0000-0000-000000000000")
        self.assertEqual(code, 5, err)
        self.assertIn("00000000-0000-0000-0000-000000000000", err)
        doc = self.nbs_json("logs", "00000000-0000-0000-0000-000000000000", "--json", expect=5)
        self.assertEqual(doc["code"], "not_found")

    def test_an_unreachable_daemon_exits_4(self):
        code, _, err = self.nbs("health", env={"NBS_URL": "http://127.0.0.1:1"})
        self.assertEqual(code, 4)
        self.assertIn("cannot reach nbs-mcpd", err)
        doc = self.nbs_json("status", "x", "--json", "--url", "http://127.0.0.1:1", expect=4)
        self.assertEqual(doc["code"], "unavailable")
        start = time.time()
        code, _, _ = self.nbs("status", "x", "--wait", "600", "--url", "http://127.0.0.1:1")
        self.assertEqual(code, 4)
        self.assertLess(time.time() - start, 10, "a daemon never reached is not waited for")

    def test_usage_errors_exit_2(self):
        for args in (["status"], ["logs", "x", "--tail", "3", "--grep", "a"], ["cleanup"], ["frobnicate"],
                     ["submit", "a.yaml", "--url", "not a url"]):
            code, _, err = self.nbs(*args)
            self.assertEqual(code, 2, f"{args}: {err}")
        code, out, _ = self.nbs("--help")
        self.assertEqual(code, 0)
        self.assertIn("Exit codes:", out)


class TokenTest(NbsTestCase):
    TOKEN = "cli-e2e-token-0123456789abcdef"

    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="nbs-cli-e2e-files-")
        token_file = os.path.join(cls.files, "tokens")
        with open(token_file, "w") as f:
            f.write(f"cli {cls.TOKEN}\n")
        cls.daemon = Daemon("--token-file", token_file)

    def test_the_token_comes_from_the_flag_or_NBS_TOKEN(self):
        code, _, err = self.nbs("history")
        self.assertEqual(code, 4)
        self.assertIn("--token or NBS_TOKEN", err)
        code, _, err = self.nbs("history", "--token", self.TOKEN)
        self.assertEqual(code, 0, err)
        code, _, err = self.nbs("history", env={"NBS_TOKEN": self.TOKEN})
        self.assertEqual(code, 0, err)
        code, _, _ = self.nbs("history", "--token", "wrong-token-0123456789")
        self.assertEqual(code, 4)


if __name__ == "__main__":
    reason = probe()
    if reason:
        print(f"FAIL: {reason}", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
