"""Several platforms (`platforms`) through nbs-mcpd, on the local executor or on Nomad (nomad-sim,
`--executor nomad`).

Two platforms of a Dockerfile that runs nothing (COPY, LABEL with TARGETARCH) become an OCI image index
under every tag, through the test phase (which runs the node's own platform from the index) and the
registry-side publish; getStatus reports the index digest and each platform's, which the registry's index
and each platform's config (architecture, the TARGETARCH label) must match. A RUN step for a platform the
node cannot run (no binfmt_misc/qemu-user here) fails at once saying so, with its Dockerfile line. Unknown
platforms are field errors at submit."""
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])
PLATFORMS = ["linux/amd64", "linux/arm64"]


def registry_get(f, repo, reference, blob=False):
    """(Docker-Content-Digest, body as JSON) of a manifest (by tag or digest) or a blob of `repo`."""
    kind = "blobs" if blob else "manifests"
    req = urllib.request.Request(f"http://{f.registry}/v2/{repo}/{kind}/{reference}", headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.headers.get("Docker-Content-Digest"), json.loads(resp.read())


def node_runs_arm64():
    """Whether a qemu-user binfmt_misc entry lets this node run arm64 binaries."""
    try:
        with open("/proc/sys/fs/binfmt_misc/qemu-aarch64") as entry:
            return entry.readline().strip() == "enabled"
    except OSError:
        return False


def test_two_platforms_publish_an_index_under_every_tag(f):
    f.make_repo("multi", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG TARGETARCH\n"
                                        "COPY hello.txt /hello.txt\nLABEL arch=$TARGETARCH\n",
                          "hello.txt": "hello from every platform\n"})
    job_id = f.submit(f.job("multi", platforms=PLATFORMS, image_tags=["multi"],
                            test={"commands": ["grep -q 'every platform' /hello.txt"]}))
    body = f.wait_final(job_id)
    check(body["status"] == "SUCCEEDED", body)
    platforms = body.get("platforms") or {}
    check(sorted(platforms) == PLATFORMS, f"getStatus platforms: {body}")
    repo = "examples/multi"
    for tag in (job_id, "multi"):
        digest, index = registry_get(f, repo, tag)
        check(index.get("mediaType") == "application/vnd.oci.image.index.v1+json", f"{tag}: {index}")
        check(digest == body["digest"], f"{tag}: index {digest}, getStatus digest {body['digest']}")
        entries = {f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"] for m in index["manifests"]}
        check(entries == platforms, f"{tag}: the index has {entries}, getStatus says {platforms}")
    for platform, digest in platforms.items():
        _, manifest = registry_get(f, repo, digest)
        _, config = registry_get(f, repo, manifest["config"]["digest"], blob=True)
        arch = platform.split("/")[1]
        check(config.get("architecture") == arch, f"{platform}: config architecture {config.get('architecture')}")
        labels = config.get("config", {}).get("Labels") or {}
        check(labels.get("arch") == arch, f"{platform}: TARGETARCH label {labels.get('arch')}")
    f.check_clean(job_id, f"{f.registry}/{repo}")


def test_a_run_step_for_a_platform_the_node_cannot_run(f):
    f.make_repo("multi-run", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello.txt /hello.txt\n"
                                            "RUN cat /hello.txt\n",
                              "hello.txt": "hello\n"})
    job_id = f.submit(f.job("multi-run", platforms=PLATFORMS))
    body = f.wait_final(job_id)
    if node_runs_arm64():
        check(body["status"] == "SUCCEEDED", f"this node emulates arm64, the build should run: {body}")
        return
    check(body["status"] == "FAILED", body)
    failure = body.get("failure") or {}
    check(failure.get("class") == "placement", f"failure class: {failure}")
    check(failure.get("location") == "Dockerfile:4", f"failure location: {failure}")
    check("linux/arm64 need emulation" in failure.get("summary", ""), f"failure summary: {failure}")
    check("RUN" in body.get("next_step", "") or "platform" in body.get("next_step", ""),
          f"next_step: {body.get('next_step')}")
    f.check_clean(job_id, f"{f.registry}/examples/multi-run")


def test_unknown_platforms_are_field_errors_at_submit(f):
    cases = ((["linux/amd64", "linux/foo"], "platforms[1]"), (["windows/amd64"], "platforms[0]"),
             (["linux/amd64", "linux/amd64"], "platforms[1]"), ("linux/amd64", "platforms"))
    f.check_refused_at_submit([(f.job("multi", platforms=platforms), field) for platforms, field in cases])


if __name__ == "__main__":
    DaemonFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-platforms-{DaemonFixture.executor}",
                 [test_unknown_platforms_are_field_errors_at_submit,
                  test_two_platforms_publish_an_index_under_every_tag,
                  test_a_run_step_for_a_platform_the_node_cannot_run],
                 fixture_class=DaemonFixture)
