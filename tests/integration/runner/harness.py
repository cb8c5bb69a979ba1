"""Fixtures for the nbs-runner integration tests: a real docker-registry, a Git smart-HTTP server and a
busybox base image (started through tests/integration/lib), Git repositories, specs, and running
nbs-runner with its events parsed. Missing components make the test FAIL, never skip."""
import gzip
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])
JOB_ID = "3f2b9c1e-0000-4000-8000-00000000000"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def sh(*argv, cwd=None, env=None):
    r = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr}")
    return r.stdout.strip()


def git(cwd, *args):
    return sh("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args, cwd=cwd)


class Fixture:
    """Everything a runner test needs; stop() ends exactly what start() began."""

    def __init__(self, name):
        self.runner = os.environ.get("NBS_RUNNER")
        check(self.runner and os.access(self.runner, os.X_OK), "NBS_RUNNER must name the nbs-runner binary")
        self.dir = tempfile.mkdtemp(prefix=f"nbs-it-{name}-")
        os.chmod(self.dir, 0o755)  # the build user must reach the cache and work dirs inside
        self.jobs = 0

    def start(self):
        for tool in ("buildah", "docker-registry", "git", "python3", "curl", "runuser"):
            check(shutil.which(tool), f"required tool missing: {tool}")
        sh(os.path.join(LIB, "..", "..", "..", "scripts", "setup-build-user"))
        self.registry = sh(os.path.join(LIB, "start-registry"), os.path.join(self.dir, "reg"))
        self.registries_conf = os.path.join(self.dir, "reg", "registries.conf")
        self.git_url = sh(os.path.join(LIB, "start-git-server"), os.path.join(self.dir, "git"))
        env = dict(os.environ, CONTAINERS_REGISTRIES_CONF=self.registries_conf)
        self.base = sh(os.path.join(LIB, "make-base-image"), self.dir, self.registry, env=env)
        self.cache = os.path.join(self.dir, "cache")
        os.makedirs(self.cache, mode=0o755)
        return self

    def stop(self):
        subprocess.run([os.path.join(LIB, "stop-git-server"), os.path.join(self.dir, "git")])
        subprocess.run([os.path.join(LIB, "stop-registry"), os.path.join(self.dir, "reg")])
        # Rootless overlay storage leaves files owned by sub-uids; buildah itself can remove them. The local
        # executor's test containers have a storage of their own beside Buildah's, with its run dir in /tmp
        # (jobs/local/podman_storage.hpp).
        for cache in [self.cache] + getattr(self, "node_caches", []):
            own = os.path.join(cache, "test-containers")
            run = "/tmp/nbs-podman-%d-%s" % (pwd.getpwnam("build").pw_uid,
                                             hashlib.sha256(own.encode()).hexdigest()[:12])
            subprocess.run(["runuser", "-u", "build", "--", "buildah", "unshare", "rm", "-rf",
                            os.path.join(cache, "storage"), own, run], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def node_cache(self):
        """A cache dir of its own (Git mirrors and Buildah storage): a node that has built nothing yet."""
        self.node_caches = getattr(self, "node_caches", [])
        cache = os.path.join(self.dir, f"node-cache-{len(self.node_caches) + 1}")
        os.makedirs(cache, mode=0o755)
        self.node_caches.append(cache)
        return cache

    def tags(self, host, repo):
        """The tags of `repo` in the registry at `host` ([] when it has none)."""
        try:
            with urllib.request.urlopen(f"http://{host}/v2/{repo}/tags/list") as resp:
                return json.load(resp).get("tags") or []
        except urllib.error.HTTPError:
            return []

    # --- Git ---
    def commit_time(self, src, rev="HEAD"):
        """The committer's time of `rev` as the runner writes it: RFC 3339 UTC with milliseconds."""
        seconds = int(git(src, "log", "-1", "--format=%ct", rev))
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))

    def make_repo(self, name, files, branch="main"):
        """A source repository with one commit of `files`, served as <git_url>/<name>.git."""
        src = os.path.join(self.dir, "src-" + name)
        os.makedirs(src)
        git(src, "init", "-q", "-b", branch)
        self.commit(src, files, "initial")
        sh("git", "clone", "-q", "--bare", src, os.path.join(self.dir, "git", "repos", name + ".git"))
        git(src, "remote", "add", "origin", os.path.join(self.dir, "git", "repos", name + ".git"))
        return src

    def commit(self, src, files, message):
        for path, content in files.items():
            full = os.path.join(src, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(content)
        git(src, "add", "-A")
        git(src, "commit", "-q", "-m", message)
        return git(src, "rev-parse", "HEAD")

    def push(self, src, *refs):
        git(src, "push", "-q", "origin", *refs)

    # --- Specs and runs ---
    def spec(self, repo, ref="main", tags=("latest",), tests=False, **extra):
        self.jobs += 1
        job = f"{JOB_ID}{self.jobs}"
        request = {"owner": "it", "repo_url": f"{self.git_url}/{repo}.git", "git_ref": ref,
                   "registry_url": self.registry, "image_name": f"it/{repo}", "image_tags": list(tags)}
        if tests:
            request["test"] = {"commands": ["true"]}
        work = os.path.join(self.dir, "work-" + str(self.jobs))
        os.makedirs(work, mode=0o755)
        image = f"{self.registry}/it/{repo}"
        spec = {"version": 1, "job_id": job, "phase": "build", "request": request,
                "final_images": [f"{image}:{job}"] + [f"{image}:{t}" for t in tags],
                "cache_dir": self.cache, "work_dir": work, "result_path": os.path.join(work, "result.json"),
                "build_user": "build", "registries_conf": self.registries_conf, "storage_driver": "overlay"}
        if tests:
            spec["temp_image"] = f"{image}:tmp-{job}"
        spec.update(extra)
        return spec

    def write_spec(self, spec):
        path = os.path.join(spec.get("work_dir", self.dir), "spec.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def run(self, subcommand, spec, *flags):
        path = self.write_spec(spec)
        r = subprocess.run([self.runner, *flags, subcommand, "--spec", path], capture_output=True, text=True,
                           timeout=600)
        return Run(r.returncode, r.stdout, r.stderr, spec)

    def start_run(self, subcommand, spec, *flags):
        path = self.write_spec(spec)
        return subprocess.Popen([self.runner, *flags, subcommand, "--spec", path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # --- Registry ---
    def manifest(self, ref, method="GET"):
        """(status, digest, body) of the manifest behind `host/repo:tag` or `host/repo@digest`."""
        host, rest = ref.split("/", 1)
        repo, tag = rest.split("@", 1) if "@" in rest else rest.rsplit(":", 1)
        req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", method=method,
                                     headers={"Accept": ACCEPT})
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, resp.headers.get("Docker-Content-Digest"), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, None, b""

    def image(self, ref):
        """(manifest, fetch) of `host/repo:tag`: its manifest as JSON, and a function reading a blob of it
        by its descriptor (gzip layers decompressed)."""
        status, _, body = self.manifest(ref)
        check(status == 200, f"{ref}: manifest answered {status}")
        host, rest = ref.split("/", 1)
        repo = rest.rsplit(":", 1)[0]

        def fetch(descriptor):
            with urllib.request.urlopen(f"http://{host}/v2/{repo}/blobs/{descriptor['digest']}") as resp:
                data = resp.read()
            return gzip.decompress(data) if descriptor["mediaType"].endswith("gzip") else data
        return json.loads(body), fetch

    def labels_and_annotations(self, ref):
        """The image config's labels and the manifest's annotations of `host/repo:tag`."""
        manifest, fetch = self.image(ref)
        config = json.loads(fetch(manifest["config"]))
        return config.get("config", {}).get("Labels") or {}, manifest.get("annotations") or {}

    def image_blobs(self, ref):
        """The bytes of the config and of every layer of `host/repo:tag`, layers decompressed."""
        manifest, fetch = self.image(ref)
        return [fetch(descriptor) for descriptor in [manifest["config"]] + manifest["layers"]]

    def blob_exists(self, host, repo, digest):
        req = urllib.request.Request(f"http://{host}/v2/{repo}/blobs/{digest}", method="HEAD")
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status == 200
        except urllib.error.HTTPError:
            return False

    def registry_log(self):
        with open(os.path.join(self.dir, "reg", "registry.log")) as f:
            return f.read()


class Run:
    def __init__(self, code, stdout, stderr, spec):
        self.code, self.stdout, self.stderr, self.spec = code, stdout, stderr, spec
        self.events = [json.loads(line) for line in stdout.splitlines() if line.strip()]

    def kind(self, kind):
        return [e for e in self.events if e["kind"] == kind]

    def texts(self):
        return [e.get("text", "") for e in self.events]

    def end(self):
        ends = self.kind("phase_end")
        check(len(ends) == 1, f"expected one phase_end, got {len(ends)}:\n{self.stdout}\n{self.stderr}")
        return ends[0]

    def result(self):
        with open(self.spec["result_path"]) as f:
            return json.load(f)

    def describe(self):
        return f"exit {self.code}\n--- stdout\n{self.stdout[-6000:]}\n--- stderr\n{self.stderr[-3000:]}"


def main(name, cases, fixture_class=None):
    """Runs every case against one fixture (only those named in NBS_CASES, comma-separated, when it is
    set: for debugging one case by hand); exits 1 if any failed."""
    if os.environ.get("NBS_CASES"):
        wanted = set(os.environ["NBS_CASES"].split(","))
        unknown = wanted - {c.__name__ for c in cases}
        if unknown:
            sys.exit(f"NBS_CASES names no case of this script: {sorted(unknown)}")
        cases = [c for c in cases if c.__name__ in wanted]
    fixture = (fixture_class or Fixture)(name)
    failed = []
    try:
        fixture.start()
        for case in cases:
            start = time.time()
            try:
                case(fixture)
                print(f"PASS {case.__name__} ({time.time() - start:.1f}s)", flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failed.append(case.__name__)
                print(f"FAIL {case.__name__}: {e}", flush=True)
                traceback.print_exc()
    except Exception as e:  # noqa: BLE001
        print(f"FAIL setup: {e}", flush=True)
        traceback.print_exc()
        failed.append("setup")
    finally:
        fixture.stop()
    print(f"{len(cases) - len(failed)}/{len(cases)} passed" if failed != ["setup"] else "setup failed")
    sys.exit(1 if failed else 0)
