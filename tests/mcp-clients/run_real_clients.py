"""The official MCP TypeScript SDK clients (v1 and v2) against the real nbs-mcpd on the local executor,
over Streamable HTTP and over stdio (the SDK spawns `nbs-mcpd --stdio`): real builds with a real
docker-registry, Git smart-HTTP server and busybox base image (tests/integration/lib), progress while
waiting, paged logs, the published image, and a kill during tests (real_scenario.mjs).

Environment (from ctest): NBS_MCPD, NBS_RUNNER. node and npm must be installed: their absence FAILS the
test, as does any other missing component."""
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

CLIENT_TIMEOUT = 1500  # seconds per client run: two real jobs, the first build from a cold cache


def example_files(name):
    repo = os.path.join(ROOT, "examples", name, "repo")
    files = {}
    for entry in sorted(os.listdir(repo)):
        with open(os.path.join(repo, entry)) as f:
            files[entry] = f.read()
    return files


def ensure_node_modules():
    for tool in ("node", "npm"):
        check(shutil.which(tool), f"{tool} is not installed: the MCP SDK client tests need node and npm")
    modules = os.path.join(HERE, "node_modules")
    lock = os.path.join(HERE, "package-lock.json")
    installed = os.path.join(modules, ".package-lock.json")
    fresh = (os.path.isdir(os.path.join(modules, "@modelcontextprotocol", "sdk"))
             and os.path.isdir(os.path.join(modules, "@modelcontextprotocol", "client"))
             and os.path.exists(installed) and os.path.getmtime(installed) >= os.path.getmtime(lock))
    if not fresh:
        r = subprocess.run(["npm", "ci", "--no-fund", "--no-audit"], cwd=HERE, capture_output=True, text=True)
        check(r.returncode == 0, f"npm ci failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


class ClientFixture(harness.Fixture):
    """Registry, Git server, base image and the example repositories, plus one nbs-mcpd over HTTP."""

    def start(self):
        self.daemon = None
        self.cache = os.path.join(self.dir, "cache")  # what stop() cleans, should start fail early
        ensure_node_modules()
        self.mcpd = os.environ.get("NBS_MCPD")
        check(self.mcpd and os.access(self.mcpd, os.X_OK), "NBS_MCPD must name the nbs-mcpd binary")
        super().start()
        for name in ("hello-world", "tests-and-args"):
            self.make_repo(name, example_files(name))
        self.start_daemon()
        return self

    def daemon_args(self, state):
        return ["--state-dir", os.path.join(self.dir, state), "--runner", self.runner,
                "--registries-conf", self.registries_conf, "--cache-dir", self.cache]

    def start_daemon(self):
        port = int(harness.sh("python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                              "print(s.getsockname()[1])"))
        self.url = f"http://127.0.0.1:{port}"
        self.daemon_log = os.path.join(self.dir, "nbs-mcpd-http.log")
        with open(self.daemon_log, "a") as log:
            self.daemon = subprocess.Popen([self.mcpd, "--listen", f"127.0.0.1:{port}", "--log-level", "info",
                                            *self.daemon_args("state-http")], stdout=log, stderr=subprocess.STDOUT)
        end = time.time() + 15
        while time.time() < end:
            try:
                with urllib.request.urlopen(self.url + "/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise harness.Failure("nbs-mcpd did not become ready:\n" + self.tail(self.daemon_log))

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            self.daemon.wait(timeout=30)
        super().stop()

    @staticmethod
    def tail(path, chars=6000):
        with open(path, errors="replace") as f:
            return f.read()[-chars:]

    def run_client(self, tag, *args):
        """Runs one node client script; its output goes to <dir>/<tag>.log (shown on failure)."""
        env = dict(os.environ, NBS_TEST_GIT_URL=self.git_url, NBS_TEST_REGISTRY=self.registry,
                   NBS_TEST_BASE_IMAGE=self.base)
        path = os.path.join(self.dir, f"{tag}.log")
        with open(path, "w") as out:
            try:
                code = subprocess.run(["node", *args], cwd=HERE, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      timeout=CLIENT_TIMEOUT).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
        text = self.tail(path, 200_000)
        for line in text.splitlines():
            if ": ok in " in line or "build ok:" in line or "killed in" in line:
                print("   ", line, flush=True)
        check(code == 0, f"node {' '.join(args)} failed ({code}):\n{text[-8000:]}\n--- nbs-mcpd (HTTP) log\n"
                         f"{self.tail(self.daemon_log, 3000)}")

    def stdio_command(self, tag):
        return [self.mcpd, "--stdio", "--log-level", "info", *self.daemon_args(f"state-{tag}")]


def test_sdk_v1_http(f):
    f.run_client("v1-http", "real_sdk_v1_client.mjs", "v1-http", "http", f.url + "/mcp")


def test_sdk_v1_stdio(f):
    f.run_client("v1-stdio", "real_sdk_v1_client.mjs", "v1-stdio", "stdio", *f.stdio_command("v1-stdio"))


def test_sdk_v2_http_modern(f):
    f.run_client("v2-http", "real_sdk_v2_client.mjs", "v2-http", "auto", "http", f.url + "/mcp")


def test_sdk_v2_stdio_modern(f):
    f.run_client("v2-stdio", "real_sdk_v2_client.mjs", "v2-stdio", "auto", "stdio", *f.stdio_command("v2-stdio"))


def test_daemon_still_healthy_and_stops_cleanly(f):
    with urllib.request.urlopen(f.url + "/health", timeout=5) as resp:
        check(resp.status == 200, "/health")
    f.daemon.send_signal(signal.SIGTERM)
    code = f.daemon.wait(timeout=30)
    check(code == 0, f"nbs-mcpd exited {code} after SIGTERM:\n{f.tail(f.daemon_log)}")


if __name__ == "__main__":
    harness.main("mcp-clients", [
        test_sdk_v1_http,
        test_sdk_v1_stdio,
        test_sdk_v2_http_modern,
        test_sdk_v2_stdio_modern,
        test_daemon_still_healthy_and_stops_cleanly,
    ], fixture_class=ClientFixture)
