"""nbs-mcpd with every real component: the examples' failing build (the excerpt an agent gets), build args +
target + parallel test commands, kill, invalid input, a daemon restart in the middle of a job, and
cleanup. Talks to the daemon over its REST mirror (the same handlers as MCP).

`--executor local` (default) runs phases on the embedded local executor; `--executor nomad` starts the
Nomad API simulator (tests/nomad_sim, which runs tasks for real: raw_exec for nbs-runner, podman for
tests) and points the daemon's Nomad executor at it."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "runner"))
import harness  # noqa: E402
from harness import check  # noqa: E402


def example_files(name):
    repo = os.path.join(ROOT, "examples", name, "repo")
    files = {}
    for entry in sorted(os.listdir(repo)):
        with open(os.path.join(repo, entry)) as f:
            files[entry] = f.read()
    return files


class DaemonFixture(harness.Fixture):
    """The runner fixture plus nbs-mcpd on the local executor."""

    executor = "local"
    # Set before the runner fixture starts, so that stop() after a failed start has nothing to stop.
    daemon = None
    sim = None

    def start(self):
        super().start()
        self.mcpd = os.environ.get("NBS_MCPD")
        check(self.mcpd and os.access(self.mcpd, os.X_OK), "NBS_MCPD must name the nbs-mcpd binary")
        self.state = os.path.join(self.dir, "state")
        if self.executor == "nomad":
            self.start_sim()
        self.start_daemon()
        for name in ("failing-build", "tests-and-args", "hello-world"):
            self.make_repo(name, example_files(name))
        # A build that takes as long as asked (the nonce defeats the layer cache), on two branches.
        slow = self.make_repo("slow", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG DELAY=0\nARG NONCE\n"
                                                     "RUN echo $NONCE > /nonce && sleep $DELAY\n"})
        harness.git(slow, "branch", "feature")
        self.push(slow, "feature")
        return self

    def start_sim(self):
        sim = os.environ.get("NBS_NOMAD_SIM")
        check(sim and os.access(sim, os.X_OK), "NBS_NOMAD_SIM must name the nomad-sim binary")
        data = os.path.join(self.dir, "nomad")
        os.makedirs(data)
        shutil.chown(self.cache, "build")
        # The simulated node's podman reads the insecure local registry from its environment, as a real
        # node's docker or podman would from its own configuration.
        env = dict(os.environ, CONTAINERS_REGISTRIES_CONF=self.registries_conf)
        self.sim_log = open(os.path.join(self.dir, "nomad-sim.log"), "a")
        self.sim = subprocess.Popen([sim, "--listen", "127.0.0.1:0", "--data-dir", data,
                                     "--host-volume", f"nbs-cache={self.cache}", *self.sim_flags()],
                                    stdout=self.sim_log, stderr=subprocess.STDOUT, env=env)
        addr_file = os.path.join(data, "nomad-sim.addr")
        end = time.time() + 15
        while not os.path.exists(addr_file) and time.time() < end:
            time.sleep(0.05)
        check(os.path.exists(addr_file), "nomad-sim did not start")
        with open(addr_file) as f:
            self.nomad_addr = "http://" + f.read().strip()

    def sim_flags(self):
        """More nomad-sim flags, for a fixture that needs them (e.g. --vault-secrets)."""
        return []

    def executor_flags(self):
        self.runner = os.path.abspath(self.runner)  # a path on the (simulated) node
        # A short grace: the test containers that ignore SIGTERM (a PID 1 `sleep`) are killed after it, and
        # every kill, deadline and failed-sibling case would otherwise wait the default 30 s for that.
        grace = ["--stop-grace", "5s"]
        if self.executor == "local":
            return ["--state-dir", self.state, "--runner", self.runner, *grace]
        return ["--nomad-addr", self.nomad_addr, "--nomad-runner-driver", "raw_exec",
                "--nomad-runner-path", self.runner, "--nomad-test-driver", "podman", *grace]

    def phase_exists(self, job_id, phase):
        if self.executor == "local":
            return os.path.exists(os.path.join(self.state, "phases", f"nbs-{job_id}-{phase}"))
        with urllib.request.urlopen(f"{self.nomad_addr}/v1/jobs?prefix=nbs-{job_id}-{phase}") as resp:
            return len(json.loads(resp.read())) > 0

    def local_podman(self):
        """podman as the build user on the local executor's storage of its own: the root is enough, podman
        finds the run root and tmp dir the daemon gave it in that storage's database."""
        return ["runuser", "-u", "build", "--", "podman", "--root", os.path.join(self.cache, "test-containers")]

    def test_containers(self, job_id):
        """What still runs of the job's test phase: podman containers (local), or allocations (Nomad)."""
        if self.executor == "local":
            return subprocess.run(self.local_podman() + ["ps", "-q", "--filter", f"name=nbs-{job_id}"],
                                  capture_output=True, text=True).stdout.strip()
        try:
            with urllib.request.urlopen(f"{self.nomad_addr}/v1/job/nbs-{job_id}-test/allocations") as resp:
                allocs = json.loads(resp.read())
        except urllib.error.HTTPError:
            return ""
        return " ".join(a["ID"] for a in allocs if a["ClientStatus"] in ("pending", "running"))

    def job_containers(self, job_id):
        """Every container (running or stopped) of the job, or of any job with an empty id: on the local
        executor podman's as the build user, on Nomad the simulated node's (podman as root)."""
        label = f"nbs.job={job_id}" if job_id else "nbs.job"
        if self.executor == "local":
            argv = self.local_podman() + ["ps", "-a", "--filter", f"label={label}"]
        else:
            argv = ["podman", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "ps", "-a",
                    "--filter", f"label={label}"]
        out = subprocess.run(argv + ["--format", "{{.Names}} {{.Status}}"], capture_output=True, text=True)
        check(out.returncode == 0, f"podman ps failed: {out.stderr}")
        return out.stdout.strip()

    def job_processes(self, job_id):
        """Processes whose command line names the job (a runner's spec path, a container's name)."""
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if job_id in cmdline:
                found.append(f"{pid}: {cmdline[:200]}")
        return found

    def check_nothing_left(self, job_id, timeout=60):
        """No container (running or stopped) and no process of the job remain."""
        end = time.time() + timeout
        while time.time() < end and (self.job_containers(job_id) or self.job_processes(job_id)):
            time.sleep(1)
        check(not self.job_containers(job_id), f"containers of {job_id} left: {self.job_containers(job_id)}")
        check(not self.job_processes(job_id), f"processes of {job_id} left: {self.job_processes(job_id)}")

    def start_daemon(self):
        self.daemon, self.url = self.spawn_daemon()

    def spawn_daemon(self, log_name="nbs-mcpd.log", extra=()):
        """Starts an nbs-mcpd with this fixture's executor and `extra` flags, logging to `log_name` in the
        work dir; returns the process and its URL once it answers /ready."""
        port = int(harness.sh("python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                              "print(s.getsockname()[1])"))
        url = f"http://127.0.0.1:{port}"
        log = open(os.path.join(self.dir, log_name), "a")
        daemon = subprocess.Popen(
            [self.mcpd, "--listen", f"127.0.0.1:{port}", *self.executor_flags(),
             "--registries-conf", self.registries_conf, "--cache-dir", self.cache, "--log-level", "debug",
             *extra],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the daemon holds its own copy
        end = time.time() + 15
        while time.time() < end and daemon.poll() is None:
            try:
                with urllib.request.urlopen(url + "/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return daemon, url
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        daemon.kill()
        daemon.wait()
        with open(os.path.join(self.dir, log_name)) as f:
            raise harness.Failure("nbs-mcpd did not become ready: " + f.read()[-4000:])

    def stop_daemon(self, sig=signal.SIGTERM):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Say where each thread waits (kernel wait channel and system call) before killing it.
                pid, threads = self.daemon.pid, []
                for tid in sorted(os.listdir(f"/proc/{pid}/task")):
                    base = f"/proc/{pid}/task/{tid}"
                    try:
                        threads.append(" ".join(open(f"{base}/{name}").read().strip()
                                                for name in ("comm", "wchan", "syscall")))
                    except OSError:
                        pass
                if shutil.which("gdb"):  # where in our code, when a debugger is at hand
                    bt = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                                        capture_output=True, text=True, timeout=120)
                    threads.append(bt.stdout[-12000:])
                self.daemon.kill()
                self.daemon.wait()
                self.daemon = None
                raise harness.Failure("nbs-mcpd did not stop within 30 s of the signal; threads:\n" +
                                      "\n".join(threads) + "\n" + self.daemon_log()[-4000:])
        self.daemon = None

    def stop(self):
        self.stop_daemon()
        if self.sim and self.sim.poll() is None:
            self.sim.terminate()
            self.sim.wait(timeout=30)
        super().stop()

    def daemon_log(self):
        with open(os.path.join(self.dir, "nbs-mcpd.log")) as f:
            return f.read()[-4000:]

    # --- REST ---
    def call(self, method, path, body=None, url=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request((url or self.url) + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def job(self, name, **overrides):
        config = {"owner": "e2e", "repo_url": f"{self.git_url}/{name}.git", "registry_url": self.registry,
                  "image_name": f"examples/{name}", "build_args": {"BASE_IMAGE": self.base}}
        config.update(overrides)
        return config

    def slow_job(self, delay, **overrides):
        config = self.job("slow", build_args={"BASE_IMAGE": self.base, "DELAY": str(delay), "NONCE": str(time.time())})
        config.update(overrides)
        return config

    def check_refused_at_submit(self, cases):
        """Each (job config, field) is a 400 naming the field, and none of them leaves a record."""
        _, before = self.call("POST", "/mcp/getHistory", {"limit": 100})
        for config, field in cases:
            status, body = self.call("POST", "/mcp/submitJob", {"job_config": config})
            check(status == 400 and field in json.dumps(body), f"expected 400 naming {field}: {status} {body}")
        _, after = self.call("POST", "/mcp/getHistory", {"limit": 100})
        check(after["total"] == before["total"], "a refused job left a record")

    def submit(self, config, url=None):
        status, body = self.call("POST", "/mcp/submitJob", {"job_config": config}, url)
        check(status == 200, f"submitJob answered {status}: {body}")
        return body["job_id"]

    def status(self, job_id, wait=0, url=None):
        status, body = self.call("GET", f"/mcp/job/{job_id}/status?wait_seconds={wait}", url=url)
        check(status == 200, f"getStatus answered {status}: {body}")
        return body

    def wait_final(self, job_id, timeout=600, url=None):
        end = time.time() + timeout
        while time.time() < end:
            body = self.status(job_id, wait=30, url=url)
            if body["status"] in ("SUCCEEDED", "FAILED", "KILLED"):
                return body
        raise harness.Failure(f"job {job_id} did not finish in {timeout} s: {body}")

    def wait_status(self, job_id, wanted, timeout=300, url=None):
        """Polls until the job is in one of `wanted`; a final status not wanted fails at once, with the
        statuses seen and when (a missed window names itself) and the daemon's log."""
        start = time.time()
        seen = []
        while time.time() < start + timeout:
            body = self.status(job_id, wait=5, url=url)
            if not seen or seen[-1][1] != body["status"]:
                seen.append((round(time.time() - start, 2), body["status"]))
            if body["status"] in wanted:
                return body
            if body["status"] in ("SUCCEEDED", "FAILED", "KILLED"):
                break
        raise harness.Failure(f"job {job_id} never reached {wanted}; seen (s, status): {seen}\n{body}\n"
                              f"{self.daemon_log()}")

    def sim_fault(self, fault):
        req = urllib.request.Request(self.nomad_addr + "/sim/faults", data=json.dumps(fault).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()

    def check_clean(self, job_id, image):
        """After a final status: nothing of the job runs, no temp tag is left, the build lock is free."""
        end = time.time() + 60
        while time.time() < end and (self.running_phases(job_id) or
                                     self.manifest(f"{image}:tmp-{job_id}")[0] != 404):
            time.sleep(1)
        check(not self.running_phases(job_id), f"phases still running: {self.running_phases(job_id)}")
        check(self.manifest(f"{image}:tmp-{job_id}")[0] == 404, f"temp tag of {job_id} left in the registry")
        if self.executor == "local":
            locks = os.path.join(self.state, "records", "locks")
            held = [n for n in os.listdir(locks)] if os.path.isdir(locks) else []
            for name in held:
                with open(os.path.join(locks, name)) as f:
                    check(job_id not in f.read(), f"the build lock {name} is still held by {job_id}")
        else:
            with urllib.request.urlopen(self.nomad_addr + "/v1/vars?prefix=nomad-build/locks") as resp:
                for var in json.loads(resp.read()) or []:
                    with urllib.request.urlopen(f"{self.nomad_addr}/v1/var/{var['Path']}") as r:
                        check(job_id not in r.read().decode(), f"the build lock {var['Path']} is still held")

    def running_phases(self, job_id):
        if self.executor == "local":
            running = []
            phases = os.path.join(self.state, "phases")
            for name in os.listdir(phases) if os.path.isdir(phases) else []:
                if job_id in name:
                    tasks = os.path.join(phases, name, "tasks")
                    if not os.path.isdir(tasks):  # a phase being started: its tasks are not written yet
                        running.append(name)
                        continue
                    for task in os.listdir(tasks):
                        if not os.path.exists(os.path.join(phases, name, "tasks", task, "exit")):
                            running.append(f"{name}/{task}")
            return running
        with urllib.request.urlopen(f"{self.nomad_addr}/v1/jobs?prefix=nbs-{job_id}") as resp:
            return [j["ID"] for j in json.loads(resp.read()) if j["Status"] != "dead"]

    def logs(self, job_id, query):
        status, body = self.call("GET", f"/mcp/job/{job_id}/logs?{query}")
        check(status == 200, f"getLogs answered {status}: {body}")
        return body


def test_refuses_at_submit_what_cannot_be_honoured(f):
    _, before = f.call("POST", "/mcp/getHistory", {"limit": 100})
    cases = [
        ({"webhook_url": "http://169.254.169.254/latest"}, "webhook_url"),
        ({"webhook_url": "http://localhost:9/hook"}, "webhook_url"),
        ({"repo_url": "file://" + f.cache + "/git/x.git"}, "repo_url"),
        ({"repo_url": "file:///etc"}, "repo_url"),
        ({"repo_url": "ssh://-oProxyCommand=touch%20x/repo.git"}, "repo_url"),
        # A layer cache on another host, or under another image's path (issue 16 item 2).
        ({"cache": {"registry_ref": "evil.example.com/examples/hello-world/cache"}}, "cache.registry_ref"),
        ({"cache": {"registry_ref": f"{f.registry}/examples/other/cache"}}, "cache.registry_ref"),
        ({"cache": {"registry_ref": f"{f.registry}/examples/hello-world:cache"}}, "cache.registry_ref"),
        # Signing on a daemon without a signature store (issue 16 item 4): the reason names the setting.
        ({"sign": {"key_ref": "vault:secret/data/ci/signing#key"}}, "signature_store"),
    ]
    if f.executor == "local":
        cases += [
            ({"git_credentials_path": "secret/data/git"}, "git_credentials_path"),
            ({"registry_credentials_path": "secret/data/reg"}, "registry_credentials_path"),
            ({"test": {"commands": ["true"], "vault_secrets": [{"path": "secret/data/x", "fields": {"k": "K"}}]}},
             "test.vault_secrets"),
            ({"test": {"commands": ["true"], "gpu_count": 1}}, "test.gpu_count"),
        ]
    for overrides, field in cases:
        status, body = f.call("POST", "/mcp/submitJob", {"job_config": f.job("hello-world", **overrides)})
        check(status == 400, f"{overrides}: expected 400, got {status}: {body}")
        check(field in json.dumps(body), f"{overrides}: {field} is not named: {body}")
    _, after = f.call("POST", "/mcp/getHistory", {"limit": 100})
    check(after["total"] == before["total"], "a refused job left a record")
    check(not os.path.exists(os.path.join(f.dir, "x")), "a refused repo_url ran something")


def test_refuses_to_start_when_the_build_user_cannot_reach_the_state_dir(f):
    if f.executor != "local":
        return
    closed = os.path.join(f.dir, "closed")
    os.makedirs(closed, mode=0o700)
    os.chmod(closed, 0o700)
    r = subprocess.run([f.mcpd, "--listen", "127.0.0.1:0", "--state-dir", os.path.join(closed, "state"),
                        "--runner", os.path.abspath(f.runner), "--registries-conf", f.registries_conf,
                        "--cache-dir", f.cache], capture_output=True, text=True, timeout=30)
    check(r.returncode != 0, f"nbs-mcpd started with a state dir the build user cannot enter: {r.stderr}")
    check(closed in r.stderr and "cannot enter" in r.stderr, f"the refusal does not name the path: {r.stderr}")


def test_failing_build_reports_the_failing_step(f):
    job_id = f.submit(f.job("failing-build"))
    body = f.wait_final(job_id)
    check(body["status"] == "FAILED", f"expected FAILED: {body}")
    check(body["failed_phase"] == "build", f"failed_phase: {body}")
    excerpt = "\n".join(body.get("excerpt", []))
    check("ap.sh" in excerpt, f"the excerpt does not show the failing RUN step's error:\n{excerpt}")
    check("getLogs" in body["next_step"], body["next_step"])
    failure = body.get("failure") or {}
    check(failure.get("class") == "build_step_failed" and failure.get("task") == "runner", body)
    check("ap.sh" in failure.get("summary", ""), f"the summary does not name the failing step: {failure}")
    check(not any(line.startswith(("$ ", "STEP ", "git: ")) for line in failure.get("evidence", [])),
          f"tool narration in the evidence: {failure}")
    size = len(json.dumps(body, separators=(",", ":")))
    print(f"failing build: getStatus {size} bytes, {len(failure.get('evidence', []))} evidence lines")
    check(size <= 2048, f"getStatus of a failed build is {size} bytes: {body}")
    grep = f.logs(job_id, "phase=build&mode=grep&pattern=ap%5C.sh")
    check(any("ap.sh" in line for line in grep["lines"]), f"grep found nothing: {grep}")
    # The temporary image never existed; nothing was published.
    check(f.manifest(f"{f.registry}/examples/failing-build:{job_id}")[0] == 404, "a failed build published a tag")


def test_build_args_target_and_parallel_tests(f):
    config = f.job("tests-and-args", image_tags=["v1", "latest"], target="app",
                   build_args={"BASE_IMAGE": f.base, "GREETING": "bonjour"}, labels={"team": "e2e"},
                   test={"env": {"EXPECTED": "bonjour"},
                         "commands": ["sh /check.sh", "test -s /greeting && echo greeting file present"]})
    job_id = f.submit(config)
    body = f.wait_final(job_id)
    check(body["status"] == "SUCCEEDED", f"expected SUCCEEDED: {body}")
    refs = body["images"]
    check(refs == [f"{f.registry}/examples/tests-and-args:{t}" for t in (job_id, "v1", "latest")], refs)
    for ref in refs:
        status, digest, _ = f.manifest(ref)
        check(status == 200 and digest == body["digest"], f"{ref}: {status} {digest} != {body['digest']}")
    # The temporary tag is gone after publish.
    check(f.manifest(f"{f.registry}/examples/tests-and-args:tmp-{job_id}")[0] == 404, "temp tag left behind")
    first = f.logs(job_id, "phase=test&task=cmd-0")
    check(any("greeting ok: bonjour" in line for line in first["lines"]), first)
    second = f.logs(job_id, "phase=test&task=cmd-1")
    check(any("greeting file present" in line for line in second["lines"]), second)
    times = body["times"]
    check(times["build_end"] <= times["test_start"] <= times["test_end"] <= times["publish_start"], times)
    # Provenance and the job's labels survive the test phase and the registry-side publish.
    labels, annotations = f.labels_and_annotations(refs[0])
    for where, got in (("labels", labels), ("annotations", annotations)):
        check(got.get("org.opencontainers.image.source") == config["repo_url"] and
              got.get("org.opencontainers.image.revision") == body["commit"] and
              got.get("org.opencontainers.image.created") == f.commit_time(os.path.join(f.dir, "src-tests-and-args")) and
              got.get("team") == "e2e", f"{where}: {got}")


def test_failing_test_command_names_the_task(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "hello"},
                   test={"env": {"EXPECTED": "bonjour"},
                         "commands": ["sh /check.sh || { echo 'check.sh said no' >&2; exit 1; }"]})
    job_id = f.submit(config)
    body = f.wait_final(job_id)
    check(body["status"] == "FAILED" and body["failed_phase"] == "test", body)
    excerpt = body.get("excerpt", [])
    check(any("expected 'bonjour'" in line for line in excerpt), body)
    check(any("check.sh said no" in line for line in excerpt), f"the test's stderr is not in the excerpt: {body}")
    check(f.manifest(f"{f.registry}/examples/tests-and-args:{job_id}")[0] == 404, "a failed test published")
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")  # the temp tag goes after FAILED


def test_invalid_job_names_every_field_and_records_nothing(f):
    _, before = f.call("POST", "/mcp/getHistory", {"limit": 100})
    status, body = f.call("POST", "/mcp/submitJob", {"job_config": {
        "owner": "e2e", "repo_url": "ftp://example.com/x.git", "registry_url": f.registry, "image_name": "UPPER",
        "image_tags": ["bad tag"], "surprise": 1}})
    check(status == 400, f"expected 400, got {status}: {body}")
    text = json.dumps(body)
    for field in ("repo_url", "image_name", "image_tags[0]", "surprise"):
        check(field in text, f"{field} is not named: {text}")
    _, after = f.call("POST", "/mcp/getHistory", {"limit": 100})
    check(after["total"] == before["total"], "an invalid job left a record")


def test_kill_a_running_job(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "x"},
                   test={"commands": ["sleep 300"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    status, body = f.call("POST", "/mcp/killJob", {"job_id": job_id})
    check(status == 200, body)
    final = f.wait_final(job_id, timeout=120)
    check(final["status"] == "KILLED", final)
    end = time.time() + 60
    while f.manifest(f"{f.registry}/examples/tests-and-args:tmp-{job_id}")[0] != 404 and time.time() < end:
        time.sleep(1)
    check(f.manifest(f"{f.registry}/examples/tests-and-args:tmp-{job_id}")[0] == 404, "killed job left its temp tag")
    # The container of `sleep 300` ignores SIGTERM (PID 1 without a handler): it must still be stopped
    # and removed, not only the `podman run` client that started it.
    f.check_nothing_left(job_id)


def test_daemon_restart_mid_job(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "restart"},
                   test={"commands": ["sleep 12 && echo slept"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    f.stop_daemon()
    time.sleep(1)
    f.start_daemon()
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"after a restart: {final}\n{f.daemon_log()}")


def test_cleanup_removes_phases_but_keeps_the_record(f):
    job_id = f.submit(f.job("hello-world", test={"entry_point": True}))
    body = f.wait_final(job_id)
    check(body["status"] == "SUCCEEDED", body)
    status, report = f.call("POST", "/mcp/cleanup", {"job_id": job_id})
    check(status == 200 and report["removed"], report)
    for phase in ("build", "test", "publish"):
        check(not f.phase_exists(job_id, phase), f"{phase} not purged")
    check(f.status(job_id)["status"] == "SUCCEEDED", "the record went with the phases")


def test_no_tests_publishes_directly(f):
    job_id = f.submit(f.job("hello-world", image_tags=["direct"]))
    body = f.wait_final(job_id)
    check(body["status"] == "SUCCEEDED", body)
    check(body["times"]["test_start"] is None and body["times"]["publish_start"] is None, body["times"])
    check(f.manifest(f"{f.registry}/examples/hello-world:direct")[1] == body["digest"], "direct tag missing")
    f.check_clean(job_id, f"{f.registry}/examples/hello-world")


def test_kill_during_build(f):
    job_id = f.submit(f.slow_job(60, test={"commands": ["true"]}))
    f.wait_status(job_id, ("BUILDING",))
    time.sleep(2)
    status, body = f.call("POST", "/mcp/killJob", {"job_id": job_id})
    check(status == 200, body)
    final = f.wait_final(job_id, timeout=120)
    check(final["status"] == "KILLED", final)
    f.check_clean(job_id, f"{f.registry}/examples/slow")


def test_test_deadline_fails_the_job(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "slow"},
                   test={"commands": ["sleep 120"], "timeout": "3s"})
    job_id = f.submit(config)
    final = f.wait_final(job_id, timeout=180)
    check(final["status"] == "FAILED" and final["failed_phase"] == "test", final)
    check("deadline" in final["error"] or "timed out" in final["error"] or "timeout" in final["error"], final)
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")
    f.check_nothing_left(job_id)


def test_a_failed_sibling_test_stops_the_others(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "sibling"},
                   test={"commands": ["sleep 300", "sleep 1; echo SIBLING-FAILED >&2; exit 4"]})
    job_id = f.submit(config)
    final = f.wait_final(job_id, timeout=300)
    check(final["status"] == "FAILED" and final["failed_phase"] == "test", final)
    check("cmd-1" in final["error"], f"the failing task is not named: {final}")
    check(any("SIBLING-FAILED" in line for line in final.get("excerpt", [])), final)
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")
    f.check_nothing_left(job_id)


def test_daemon_sigkilled_mid_test_then_killed(f):
    """A daemon killed while tests run leaves them running; the next daemon kills the job and nothing of
    it remains."""
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "sigkill"},
                   test={"commands": ["sleep 300"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    time.sleep(2)
    f.stop_daemon(signal.SIGKILL)
    f.start_daemon()
    status, body = f.call("POST", "/mcp/killJob", {"job_id": job_id})
    check(status == 200, body)
    final = f.wait_final(job_id, timeout=120)
    check(final["status"] == "KILLED", final)
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")
    f.check_nothing_left(job_id)


def test_daemon_sigkilled_mid_test_then_finishes(f):
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "resume"},
                   test={"commands": ["sleep 6 && echo slept through"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    time.sleep(1)
    f.stop_daemon(signal.SIGKILL)
    f.start_daemon()
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"after SIGKILL during tests: {final}\n{f.daemon_log()}")
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")
    f.check_nothing_left(job_id)


def test_same_branch_serializes_other_branch_runs_in_parallel(f):
    # The first build is the longest so that the second is still queued behind it when we look,
    # however slowly the status calls come back on a loaded machine.
    first = f.submit(f.slow_job(8))
    second = f.submit(f.slow_job(4))
    other_branch = f.submit(f.slow_job(4, git_ref="feature"))
    f.wait_status(first, ("BUILDING", "TESTING", "PUBLISHING"))
    queued = f.status(second)
    check(queued["status"] == "PENDING" and queued.get("waiting_reason"), f"the second did not queue: {queued}")
    for job_id in (first, second, other_branch):
        check(f.wait_final(job_id)["status"] == "SUCCEEDED", job_id)
    a, b, c = (f.status(j)["times"] for j in (first, second, other_branch))
    check(b["build_start"] >= a["job_end"], f"the same branch ran at once: {a} {b}")
    check(c["build_start"] < a["job_end"], f"another branch waited for the first: {a} {c}")
    for job_id in (first, second, other_branch):
        f.check_clean(job_id, f"{f.registry}/examples/slow")


def test_daemon_sigkilled_mid_build(f):
    job_id = f.submit(f.slow_job(6))
    f.wait_status(job_id, ("BUILDING",))
    time.sleep(1)
    f.stop_daemon(signal.SIGKILL)
    f.start_daemon()
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"after SIGKILL: {final}\n{f.daemon_log()}")
    f.check_clean(job_id, f"{f.registry}/examples/slow")


def test_nomad_errors_for_ten_seconds_mid_job(f):
    if f.executor != "nomad":
        return
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "outage"},
                   test={"commands": ["sleep 5 && echo survived"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    f.sim_fault({"error_status": 500, "error_for": "10s"})
    time.sleep(11)
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"after a 10 s outage: {final}\n{f.daemon_log()}")
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")


def test_a_lost_allocation_is_retried(f):
    if f.executor != "nomad":
        return
    config = f.job("tests-and-args", target="app", build_args={"BASE_IMAGE": f.base, "GREETING": "lost"},
                   test={"commands": ["sleep 5 && echo done"]})
    job_id = f.submit(config)
    f.wait_status(job_id, ("TESTING",))
    time.sleep(1)
    f.sim_fault({"lose_job": f"nbs-{job_id}-test"})
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"after a lost allocation: {final}\n{f.daemon_log()}")
    f.check_clean(job_id, f"{f.registry}/examples/tests-and-args")


def test_registry_cache_feeds_a_fresh_node(f):
    """Issue 16 item 2: a build pushes its layers to the registry cache; on a node whose layer storage is
    empty (the cache dir's storage wiped) the rebuild after a one-file change takes the unchanged step from
    the registry. Then the daemon's default, build_cache_repository, for a job that does not ask."""
    src = f.make_repo("shared-cache", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo deps > /deps\n"
                                                     "COPY app.txt /app.txt\nRUN cat /app.txt\n",
                                       "app.txt": "v1\n"})

    def build(**overrides):
        job_id = f.submit(f.job("shared-cache", **overrides))
        body = f.wait_final(job_id)
        check(body["status"] == "SUCCEEDED", body)
        return job_id

    def wipe_storage():  # the next build runs as on a node that has built nothing
        subprocess.run(["runuser", "-u", "build", "--", "buildah", "unshare", "rm", "-rf",
                        os.path.join(f.cache, "storage")], check=True, capture_output=True)

    def pulled(job_id, repo):
        lines = f.logs(job_id, "phase=build&mode=grep&pattern=Cache%20pulled%20from%20remote")["lines"]
        return [line for line in lines if f"{f.registry}/{repo}:" in line]

    build(cache={})
    check(f.tags(f.registry, "examples/shared-cache/cache"), "no layer pushed to the cache repository")
    wipe_storage()
    f.commit(src, {"app.txt": "v2\n"}, "one-file change")
    f.push(src, "main")
    job_id = build(cache={"registry_ref": f"{f.registry}/examples/shared-cache/cache"})
    check(len(pulled(job_id, "examples/shared-cache/cache")) == 1,
          f"the unchanged RUN did not come from the registry: {f.logs(job_id, 'phase=build&tail=60')}")

    f.stop_daemon()
    f.daemon, f.url = f.spawn_daemon(extra=["--build-cache-repository", f"{f.registry}/nbs-cache"])
    try:
        build()
        check(f.tags(f.registry, "nbs-cache/examples/shared-cache"), "the daemon's default cache got nothing")
        wipe_storage()
        f.commit(src, {"app.txt": "v3\n"}, "another one-file change")
        f.push(src, "main")
        job_id = build()
        check(len(pulled(job_id, "nbs-cache/examples/shared-cache")) == 1,
              f"the daemon's default cache was not read: {f.logs(job_id, 'phase=build&tail=60')}")
    finally:
        f.stop_daemon()
        f.start_daemon()


if __name__ == "__main__":
    DaemonFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-{DaemonFixture.executor}", [
        test_invalid_job_names_every_field_and_records_nothing,
        test_refuses_at_submit_what_cannot_be_honoured,
        test_refuses_to_start_when_the_build_user_cannot_reach_the_state_dir,
        test_failing_build_reports_the_failing_step,
        test_build_args_target_and_parallel_tests,
        test_failing_test_command_names_the_task,
        test_kill_a_running_job,
        test_daemon_restart_mid_job,
        test_cleanup_removes_phases_but_keeps_the_record,
        test_no_tests_publishes_directly,
        test_kill_during_build,
        test_test_deadline_fails_the_job,
        test_a_failed_sibling_test_stops_the_others,
        test_daemon_sigkilled_mid_test_then_killed,
        test_daemon_sigkilled_mid_test_then_finishes,
        test_same_branch_serializes_other_branch_runs_in_parallel,
        test_daemon_sigkilled_mid_build,
        test_nomad_errors_for_ten_seconds_mid_job,
        test_a_lost_allocation_is_retried,
        test_registry_cache_feeds_a_fresh_node,
    ], fixture_class=DaemonFixture)
