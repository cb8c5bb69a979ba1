"""The README's first command, end to end in CI mode (see README.md)."""
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIB = os.path.join(ROOT, "tests", "integration", "lib")
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run_hello(work):
    r = subprocess.run([os.path.join(ROOT, "scripts", "hello-world"), "--ci", "--work-dir", work],
                       capture_output=True, text=True, timeout=1000)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    if r.returncode != 0:
        fail(f"scripts/hello-world exited {r.returncode}")
    found = re.findall(r"^RESULT (\S+) (sha256:[0-9a-f]{64}) ([0-9.]+)$", r.stdout, re.M)
    if len(found) != 1:
        fail("no RESULT line with an image reference and a sha256 digest")
    return r.stdout, found[0]


def manifest_digest(registry, repository, tag):
    req = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{tag}", method="HEAD",
                                 headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers["Docker-Content-Digest"]


def main():
    work = tempfile.mkdtemp(prefix="nbs-e2e-hello-")
    os.chmod(work, 0o755)
    out1, (image, digest, seconds1) = run_hello(work)
    if "Hello from the Nomad Build Service!" not in out1:
        fail("the test phase's log does not show the entry point's output")
    if "run it again" not in out1:
        fail("the first run does not say a second run will be faster")

    out2, (image2, digest2, seconds2) = run_hello(work)
    if "cached run:" not in out2:
        fail("the second run does not report the cache reuse")
    if digest2 != digest:
        # Same commit, same base, same layers: the image must be identical.
        fail(f"the second run published {digest2}, the first {digest}")

    # Check both runs' tags against the registry itself, restarted on the storage the script used.
    subprocess.run([os.path.join(LIB, "start-registry"), os.path.join(work, "registry")], check=True,
                   capture_output=True)
    try:
        with open(os.path.join(work, "registry", "registry.addr")) as f:
            registry = f.read().strip()
        for ref in (image, image2):
            m = re.match(r"^[^/]+/(.+):([^:]+)$", ref)
            if not m:
                fail(f"not an image reference: {ref}")
            got = manifest_digest(registry, m.group(1), m.group(2))
            if got != digest:
                fail(f"{ref}: the registry has {got}, the script printed {digest}")
        latest = manifest_digest(registry, "examples/hello-world", "latest")
        if latest != digest:
            fail(f"examples/hello-world:latest is {latest}, expected {digest}")
    finally:
        subprocess.run([os.path.join(LIB, "stop-registry"), os.path.join(work, "registry")])
    print(f"ok: {image} {digest}; first run {seconds1} s, cached run {seconds2} s")


if __name__ == "__main__":
    main()
