"""deploy/runner.Containerfile built through the service itself: nbs-mcpd on the local executor builds
it FROM a Debian 12 base image made with debootstrap (tests/deploy/make-debian-base, cached under
/var/cache/nbs-test), runs `nbs-runner --version` and `buildah --version` in it with podman, publishes
it, and the registry's manifest is checked against the job's digest.

The repository the service fetches holds deploy/runner.Containerfile and the nbs-runner binary of this
build (stripped), served over smart HTTP. The daemon's cache (Buildah layers) persists under
/var/cache/nbs-test/runner-image, so a rerun rebuilds only the layers after a changed nbs-runner.
Reuses the e2e fixture (tests/e2e/daemon_test.py); a missing component or an unreachable Debian
archive fails the test, it never skips."""
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "runner"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
from daemon_test import DaemonFixture  # noqa: E402
from harness import check  # noqa: E402

CACHE_ROOT = os.environ.get("NBS_TEST_CACHE", "/var/cache/nbs-test")
REPO = "nbs-runner-image"


class RunnerImageFixture(DaemonFixture):
    """The e2e fixture on the local executor, a Debian 12 base image in its registry and a persistent
    build cache."""

    executor = "local"

    def start(self):
        # First, so that an unreachable Debian archive is the first thing the test reports.
        started = time.time()
        self.base_archive = harness.sh(os.path.join(HERE, "make-debian-base"))
        print(f"debian base image: {self.base_archive} ({time.time() - started:.1f}s)", flush=True)
        harness.check(shutil.which("skopeo"), "required tool missing: skopeo")
        super().start()
        self.debian = f"{self.registry}/base/debian:12"
        harness.sh("skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci-archive:{self.base_archive}",
                   f"docker://{self.debian}")
        return self

    def start_daemon(self):
        if not getattr(self, "persistent_cache", False):
            self.persistent_cache = True
            self.cache = os.path.join(CACHE_ROOT, "runner-image", "cache")
            os.makedirs(self.cache, mode=0o755, exist_ok=True)
            # Git mirrors are keyed by the repository URL, whose port changes every run: drop old ones.
            shutil.rmtree(os.path.join(self.cache, "git"), ignore_errors=True)
        super().start_daemon()

    def stop(self):
        # The harness removes the storage of its own temporary cache only; the persistent one stays.
        self.cache = os.path.join(self.dir, "cache")
        super().stop()

    def make_runner_repo(self):
        with open(os.path.join(ROOT, "deploy", "runner.Containerfile")) as f:
            containerfile = f.read()
        src = self.make_repo(REPO, {"deploy/runner.Containerfile": containerfile})
        binary = os.path.join(src, "nbs-runner")
        if shutil.which("strip"):
            harness.sh("strip", "-o", binary, self.runner)
        else:
            shutil.copy(self.runner, binary)
        os.chmod(binary, 0o755)
        self.commit(src, {}, "nbs-runner of this build")
        self.push(src, "main")

    def image_config(self, ref):
        """The OCI/Docker image config of a pushed reference."""
        _, _, body = self.manifest(ref)
        manifest = json.loads(body)
        host, rest = ref.split("/", 1)
        repo = rest.rsplit(":", 1)[0]
        with urllib.request.urlopen(f"http://{host}/v2/{repo}/blobs/{manifest['config']['digest']}") as resp:
            return manifest, json.loads(resp.read())

    def remove_test_images(self, refs):
        for ref in refs:
            subprocess.run(self.local_podman() + ["rmi", "-f", ref], capture_output=True)


def phase_seconds(times):
    """'build 40.1s, test 12.0s, publish 0.4s' from getStatus times."""
    def at(name):
        return datetime.datetime.fromisoformat(times[name].replace("Z", "+00:00")) if times.get(name) else None
    parts = []
    for phase in ("build", "test", "publish"):
        start, end = at(f"{phase}_start"), at(f"{phase}_end")
        if start and end:
            parts.append(f"{phase} {(end - start).total_seconds():.1f}s")
    return ", ".join(parts)


def test_runner_image_is_built_tested_and_published_by_the_service(f):
    f.make_runner_repo()
    version = harness.sh(f.runner, "--version")
    config = {"owner": "deploy-test", "repo_url": f"{f.git_url}/{REPO}.git", "registry_url": f.registry,
              "image_name": "nbs/runner", "image_tags": ["test"], "dockerfile_path": "deploy/runner.Containerfile",
              "build_args": {"BASE_IMAGE": f.debian}, "build_timeout": "45m",
              "test": {"commands": ["nbs-runner --version",
                                    "buildah --version && id build && grep '^build:' /etc/subuid /etc/subgid"]}}
    started = time.time()
    job_id = f.submit(config)
    body = f.wait_final(job_id, timeout=3000)
    elapsed = time.time() - started
    temp_ref = f"{f.registry}/nbs/runner:tmp-{job_id}"
    try:
        if body["status"] != "SUCCEEDED":
            tail = f.logs(job_id, f"phase={body.get('failed_phase', 'build')}&tail_lines=60")
            raise harness.Failure(f"the runner image job ended {body['status']}: {json.dumps(body, indent=1)}\n"
                                  + "\n".join(tail["lines"]) + "\n--- daemon log\n" + f.daemon_log())
        cached = f.logs(job_id, "phase=build&mode=grep&pattern=--%3E%20Using%20cache&limit_lines=100")
        print(f"job {job_id} SUCCEEDED in {elapsed:.1f}s ({phase_seconds(body['times'])}); "
              f"{len(set(cached['lines']))} log lines of layers from the cache", flush=True)

        refs = body["images"]
        check(refs == [f"{f.registry}/nbs/runner:{job_id}", f"{f.registry}/nbs/runner:test"], refs)
        for ref in refs:
            status, digest, _ = f.manifest(ref)
            check(status == 200 and digest == body["digest"], f"{ref}: {status} {digest} != {body['digest']}")
        check(f.manifest(temp_ref)[0] == 404, "the temporary tag is still in the registry")

        runner_log = f.logs(job_id, "phase=test&task=cmd-0")
        check(any(version in line for line in runner_log["lines"]),
              f"`nbs-runner --version` did not print '{version}' in the image: {runner_log['lines']}")
        buildah_log = "\n".join(f.logs(job_id, "phase=test&task=cmd-1")["lines"])
        check("buildah version" in buildah_log, f"`buildah --version` in the image: {buildah_log}")
        check("uid=1001(build)" in buildah_log, f"the build user: {buildah_log}")
        check("/etc/subuid:build:100000:65536" in buildah_log and "/etc/subgid:build:100000:65536" in buildah_log,
              f"the build user's subordinate ids: {buildah_log}")

        manifest, image = f.image_config(refs[-1])
        check(len(manifest["layers"]) >= 3, f"expected the base layer and the Containerfile's layers: {manifest}")
        check(image["config"].get("Cmd") == ["/usr/local/bin/nbs-runner", "--version"], image["config"])
        check("BUILDAH_ISOLATION=chroot" in image["config"].get("Env", []), image["config"])
    finally:
        f.remove_test_images([temp_ref])


if __name__ == "__main__":
    harness.main("deploy-runner-image", [test_runner_image_is_built_tested_and_published_by_the_service],
                 fixture_class=RunnerImageFixture)
