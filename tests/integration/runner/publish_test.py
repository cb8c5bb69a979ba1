"""nbs-runner publish and cleanup against a real registry: registry-side copy with cross-repository
mounts (no layer blob uploaded), streamed copy to a second registry, temp image deletion (issue 3)."""
import json
import os
import re
import subprocess
import urllib.request

from harness import LIB, check, main, sh


def build_temp(fx, repo, dockerfile):
    fx.make_repo(repo, {"Dockerfile": dockerfile})
    spec = fx.spec(repo, tests=True, tags=("latest",))
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    check(run.result()["tags"] == [spec["temp_image"]], run.result())
    check(run.result()["size"] > 0, run.result())
    return spec, run.result()["digest"]


def publish_spec(build_spec, finals, phase="publish"):
    spec = dict(build_spec)
    spec["phase"] = phase
    spec["final_images"] = finals
    for key in ("cache_dir", "build_user", "storage_driver"):
        spec.pop(key, None)
    spec["result_path"] = os.path.join(spec["work_dir"], f"result-{phase}.json")
    return spec


def blob_uploads(log_text):
    """Blob data sent to the registry: PATCH or PUT on an upload session (mounts are POSTs)."""
    return re.findall(r'"(?:PUT|PATCH) /v2/[^ ]*/blobs/uploads/', log_text)


def mounts(log_text):
    return re.findall(r'"POST /v2/[^ ]*/blobs/uploads/\?[^ ]*mount=', log_text)


def test_publish_to_two_tags_of_another_repository_mounts_every_blob(fx):
    build_spec, digest = build_temp(fx, "pub", f"FROM {fx.base}\nRUN echo layer-one > /one\nRUN echo two > /two\n")
    finals = [f"{fx.registry}/it/released:1.0", f"{fx.registry}/it/released:stable"]
    before = len(fx.registry_log())
    run = fx.run("publish", publish_spec(build_spec, finals))
    check(run.code == 0, run.describe())
    log = fx.registry_log()[before:]
    # Removing the temp tag puts a 2-byte config into the temp repository; nothing reaches the final one.
    uploads = [u for u in blob_uploads(log) if "/v2/it/released/" in u]
    check(uploads == [], f"blob data was uploaded: {uploads}")
    check(len(mounts(log)) >= 4, f"expected mounts of config and layers, got {mounts(log)}")
    for ref in finals:
        status, got, _ = fx.manifest(ref)
        check(status == 200 and got == digest, f"{ref}: {status} {got} != {digest}")
    status, _, _ = fx.manifest(build_spec["temp_image"])
    check(status == 404, f"temp tag still there: {status}")
    result = run.result()
    check(result["digest"] == digest and result["tags"] == finals and result["size"] > 0, result)
    check(any(t.startswith("publish: deleted temp image") for t in run.texts()), run.texts())


def test_publish_within_the_temp_repository_removes_only_the_temp_tag(fx):
    build_spec, digest = build_temp(fx, "same", f"FROM {fx.base}\nRUN echo same > /s\n")
    run = fx.run("publish", publish_spec(build_spec, build_spec["final_images"]))
    check(run.code == 0, run.describe())
    for ref in build_spec["final_images"]:
        status, got, _ = fx.manifest(ref)
        check(status == 200 and got == digest, f"{ref}: {status} {got} != {digest}")
    status, _, _ = fx.manifest(build_spec["temp_image"])
    check(status == 404, f"temp tag still there: {status}")


def test_publish_to_another_registry_streams_blobs(fx):
    other_dir = os.path.join(fx.dir, "reg2")
    other = sh(os.path.join(LIB, "start-registry"), other_dir)
    try:
        build_spec, digest = build_temp(fx, "far", f"FROM {fx.base}\nRUN head -c 20000000 /dev/urandom > /r.bin\n")
        spec = publish_spec(build_spec, [f"{other}/mirror/far:1"])
        # The client needs to know both registries are plain HTTP.
        conf = os.path.join(fx.dir, "both.conf")
        with open(conf, "w") as f:
            f.write(open(fx.registries_conf).read() + f'[[registry]]\nlocation = "{other}"\ninsecure = true\n')
        spec["registries_conf"] = conf
        run = fx.run("publish", spec)
        check(run.code == 0, run.describe())
        status, got, _ = fx.manifest(f"{other}/mirror/far:1")
        check(status == 200 and got == digest, f"{status} {got} != {digest}")
        with open(os.path.join(other_dir, "registry.log")) as f:
            uploads = blob_uploads(f.read())
        check(len(uploads) >= 3, f"blobs were not uploaded to the second registry: {uploads}")
    finally:
        subprocess.run([os.path.join(LIB, "stop-registry"), other_dir])


def test_cleanup_deletes_the_temp_image_once(fx):
    build_spec, digest = build_temp(fx, "tmp", f"FROM {fx.base}\nRUN echo temp > /t\n")
    spec = publish_spec(build_spec, [], phase="cleanup")
    run = fx.run("cleanup", spec)
    check(run.code == 0, run.describe())
    status, _, _ = fx.manifest(build_spec["temp_image"])
    check(status == 404, f"temp image still there: {status}")
    again = fx.run("cleanup", spec)
    check(again.code == 0 and any("already gone" in t for t in again.texts()), again.describe())


def put_manifest(fx, ref, media_type, body):
    host, rest = ref.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", data=body, method="PUT",
                                 headers={"Content-Type": media_type})
    with urllib.request.urlopen(req) as resp:
        check(resp.status == 201, f"PUT {ref}: {resp.status}")


def test_removing_a_temp_tag_keeps_other_tags_of_the_same_image(fx):
    """Two jobs that build the same image get the same digest: removing one job's temp image (its test
    failed) must not take the other job's published tag along, as a delete by digest would."""
    build_spec, digest = build_temp(fx, "twin", f"FROM {fx.base}\nRUN echo twin > /s\n")
    status, _, body = fx.manifest(build_spec["temp_image"])
    check(status == 200, status)
    media_type = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    published = f"{fx.registry}/it/twin:published-by-another-job"
    put_manifest(fx, published, media_type, body)
    run = fx.run("cleanup", publish_spec(build_spec, [], phase="cleanup"))
    check(run.code == 0, run.describe())
    check(fx.manifest(build_spec["temp_image"])[0] == 404, "the temp tag is still there")
    status, got, _ = fx.manifest(published)
    check(status == 200 and got == digest, f"another job's tag of the same image went too: {status} {got}")


def test_an_index_of_two_platforms_publishes_without_moving_a_layer(fx):
    """Issue 16 item 3: a two-platform build pushes an OCI index and reports each platform's digest; the
    publish to another repository mounts every blob, PUTs each platform's manifest by digest and the index
    under each tag, unchanged, and cleanup of the temp tag leaves the published index whole."""
    fx.make_repo("multi", {"Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY hello.txt /hello.txt\n"
                                         "LABEL arch=$TARGETARCH\n",
                           "hello.txt": "hello\n"})
    spec = fx.spec("multi", tests=True)
    spec["request"]["platforms"] = ["linux/amd64", "linux/arm64"]
    build = fx.run("build", spec)
    check(build.code == 0, build.describe())
    built = build.result()
    platforms = built.get("platforms") or {}
    check(sorted(platforms) == ["linux/amd64", "linux/arm64"], built)
    status, index_digest, body = fx.manifest(spec["temp_image"])
    check(status == 200 and index_digest == built["digest"], f"{status} {index_digest} {built['digest']}")
    index = json.loads(body)
    check(index["mediaType"] == "application/vnd.oci.image.index.v1+json", index)
    check({m["digest"] for m in index["manifests"]} == set(platforms.values()), f"{index} {platforms}")
    finals = [f"{fx.registry}/it/multi-released:1.0", f"{fx.registry}/it/multi-released:stable"]
    before = len(fx.registry_log())
    run = fx.run("publish", publish_spec(spec, finals))
    check(run.code == 0, run.describe())
    log = fx.registry_log()[before:]
    uploads = [u for u in blob_uploads(log) if "/v2/it/multi-released/" in u]
    check(uploads == [], f"blob data was uploaded: {uploads}")
    for ref in finals:
        status, got, _ = fx.manifest(ref)
        check(status == 200 and got == index_digest, f"{ref}: {status} {got} != {index_digest}")
    for platform, digest in platforms.items():
        status, got, _ = fx.manifest(f"{fx.registry}/it/multi-released@{digest}")
        check(status == 200 and got == digest, f"{platform}: {status} {got}")
    check(run.result()["digest"] == index_digest, run.result())


def test_publish_of_a_missing_temp_image_fails(fx):
    build_spec = fx.spec("pub", tests=True)
    run = fx.run("publish", publish_spec(build_spec, [f"{fx.registry}/it/released:never"]))
    check(run.code == 13, run.describe())
    check(run.end()["text"].startswith("publish_failed: manifest"), run.end())


if __name__ == "__main__":
    main("publish", [test_publish_to_two_tags_of_another_repository_mounts_every_blob,
                     test_publish_within_the_temp_repository_removes_only_the_temp_tag,
                     test_publish_to_another_registry_streams_blobs,
                     test_cleanup_deletes_the_temp_image_once,
                     test_removing_a_temp_tag_keeps_other_tags_of_the_same_image,
                     test_an_index_of_two_platforms_publishes_without_moving_a_layer,
                     test_publish_of_a_missing_temp_image_fails])
