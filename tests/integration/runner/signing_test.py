"""nbs-runner publish with `sign` (issue 16 item 4) against a real registry, real gpg and real skopeo: each
final tag gets a simple signing signature in the lookaside store, which skopeo accepts under a policy.json
`signedBy` rule with the public key, while it refuses an unsigned image and a wrong key."""
import json
import os
import shutil
import subprocess
import urllib.request

from harness import Fixture, check, main, sh


class Keys:
    """Throwaway GPG keys, each in a home of its own; stop() ends their agents."""

    def __init__(self, root):
        self.root = root
        self.homes = []

    def make(self, name):
        home = os.path.join(self.root, f"gnupg-{name}")
        os.makedirs(home, mode=0o700)
        self.homes.append(home)
        params = os.path.join(self.root, f"params-{name}")
        with open(params, "w") as f:
            f.write("%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\n"
                    f"Name-Real: NBS {name}\nName-Email: {name}@nbs.test\nExpire-Date: 0\n%commit\n")
        env = dict(os.environ, GNUPGHOME=home)
        sh("gpg", "--batch", "--gen-key", params, env=env)
        secret = os.path.join(self.root, f"{name}-secret.asc")
        public = os.path.join(self.root, f"{name}-public.gpg")
        sh("gpg", "--batch", "--armor", "--output", secret, "--export-secret-keys", env=env)
        sh("gpg", "--batch", "--output", public, "--export", env=env)
        return secret, public

    def stop(self):
        for home in self.homes:
            subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=home), capture_output=True)


def verifier(fx, public_key, name):
    """(policy, registries.d): what a consumer configures — signedBy with `public_key` for our registry, and
    the lookaside store for reading signatures."""
    root = os.path.join(fx.dir, f"verify-{name}")
    os.makedirs(os.path.join(root, "regd"))
    policy = os.path.join(root, "policy.json")
    with open(policy, "w") as f:
        json.dump({"default": [{"type": "reject"}],
                   "transports": {"docker": {fx.registry: [{"type": "signedBy", "keyType": "GPGKeys",
                                                            "keyPath": public_key}]},
                                  "dir": {"": [{"type": "insecureAcceptAnything"}]}}}, f)
    with open(os.path.join(root, "regd", "default.yaml"), "w") as f:
        f.write(f"docker:\n  {fx.registry}:\n    lookaside: file://{fx.store}\n")
    return policy, os.path.join(root, "regd")


def skopeo_copy(fx, policy, regd, ref, *flags):
    out = os.path.join(fx.dir, "out", ref.replace("/", "_").replace(":", "_"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    return subprocess.run(["skopeo", "--policy", policy, "--registries.d", regd, "copy", "--src-tls-verify=false",
                           *flags, f"docker://{ref}", f"dir:{out}"], capture_output=True, text=True)


def podman_pull(fx, policy, regd, ref):
    """podman pull under `policy`; podman has no registries.d flag: it reads $HOME/.config/containers/
    registries.d, so HOME is a directory holding `regd` there. Storage is the fixture's own (vfs)."""
    home = os.path.join(fx.dir, "podman-home")
    conf = os.path.join(home, ".config", "containers")
    shutil.rmtree(conf, ignore_errors=True)
    os.makedirs(conf)
    shutil.copytree(regd, os.path.join(conf, "registries.d"))
    store = os.path.join(fx.dir, "podman")
    return subprocess.run(["podman", "--root", os.path.join(store, "root"), "--runroot", os.path.join(store, "run"),
                           "--storage-driver", "vfs", "pull", "--signature-policy", policy, "--tls-verify=false",
                           f"docker://{ref}"], capture_output=True, text=True, env=dict(os.environ, HOME=home))


def signed_build(fx, repo, key_file, tags):
    """Builds `repo` for a job with `sign`: build pushes only to the temp tag (publish signs)."""
    fx.make_repo(repo, {"Dockerfile": f"FROM {fx.base}\nRUN echo {repo} > /f\n"})
    spec = fx.spec(repo, tags=tags)
    spec["request"]["sign"] = {"key_ref": "file:signing.asc"}
    spec["temp_image"] = f"{fx.registry}/it/{repo}:tmp-{spec['job_id']}"
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    check(run.result()["tags"] == [spec["temp_image"]], f"a signed job's build must push the temp tag only: "
                                                        f"{run.result()['tags']}")
    publish = dict(spec, phase="publish", signature_store=fx.store,
                   credentials={"signing_key_file": key_file},
                   result_path=os.path.join(spec["work_dir"], "result-publish.json"))
    for key in ("cache_dir", "build_user", "storage_driver"):
        publish.pop(key, None)
    return publish, run.result()["digest"]


def test_every_published_tag_is_signed_and_verifies(fx):
    spec, digest = signed_build(fx, "signed", fx.secret, ("v1", "stable"))
    run = fx.run("publish", spec)
    check(run.code == 0, run.describe())
    finals = spec["final_images"]
    check(len(finals) == 3, finals)
    result = run.result()
    check(result["signed_tags"] == finals, result)
    # The lookaside layout skopeo itself writes: <repo>@sha256=<hex>/signature-N, one per tag.
    sig_dir = os.path.join(fx.store, "it", "signed@sha256=" + digest.split(":", 1)[1])
    check(sorted(os.listdir(sig_dir)) == ["signature-1", "signature-2", "signature-3"], os.listdir(sig_dir))
    policy, regd = verifier(fx, fx.public, "right")
    for ref in finals:  # (a) and (d): the job id tag and both user tags
        r = skopeo_copy(fx, policy, regd, ref)
        check(r.returncode == 0, f"{ref} refused: {r.stderr}")
    r = podman_pull(fx, policy, regd, finals[1])
    check(r.returncode == 0, f"podman refused {finals[1]}: {r.stderr}")
    r = podman_pull(fx, policy, regd, fx.base)
    check(r.returncode != 0 and "A signature was required, but no signature exists" in r.stderr,
          f"podman did not refuse the unsigned base image: {r.returncode} {r.stderr}")
    # The key never shows: not in events, result file or the store's names.
    with open(fx.secret) as f:
        key_lines = [line for line in f.read().splitlines() if len(line) > 40]
    check(key_lines, "the armoured key has no long lines to look for")
    for line in key_lines[:5]:
        check(line not in run.stdout and line not in run.stderr and line not in json.dumps(result),
              "the signing key leaked into the output")
    check(not [n for n in os.listdir("/tmp") if n.startswith("nbs-gpg-")], "a GNUPGHOME was left in /tmp")


def test_unsigned_image_and_wrong_key_are_refused(fx):
    spec, _ = signed_build(fx, "other", fx.secret, ("v1",))
    run = fx.run("publish", spec)
    check(run.code == 0, run.describe())
    # (b) an image published without sign (the fixture's base image) has no signature.
    policy, regd = verifier(fx, fx.public, "unsigned")
    r = skopeo_copy(fx, policy, regd, fx.base)
    check(r.returncode != 0 and "A signature was required, but no signature exists" in r.stderr, r.stderr)
    # (c) the signed tag under another public key.
    policy, regd = verifier(fx, fx.wrong_public, "wrong")
    r = skopeo_copy(fx, policy, regd, spec["final_images"][1])
    check(r.returncode != 0 and "Invalid GPG signature" in r.stderr, r.stderr)
    # A verifier without the lookaside store sees no signature at all.
    empty = os.path.join(fx.dir, "empty-regd")
    os.makedirs(empty, exist_ok=True)
    policy, _ = verifier(fx, fx.public, "nostore")
    r = skopeo_copy(fx, policy, empty, spec["final_images"][1])
    check(r.returncode != 0 and "no signature exists" in r.stderr, r.stderr)


def test_a_key_that_cannot_sign_fails_publish_before_any_tag(fx):
    spec, _ = signed_build(fx, "badkey", fx.public, ("v1",))  # a public key: it cannot sign
    run = fx.run("publish", spec)
    check(run.code == 13, run.describe())
    check("no secret key" in run.end()["text"], run.end())
    for ref in spec["final_images"]:
        status, _, _ = fx.manifest(ref)
        check(status == 404, f"{ref} was published unsigned: {status}")


def test_publish_without_a_store_is_a_spec_error(fx):
    spec, _ = signed_build(fx, "nostore", fx.secret, ("v1",))
    spec.pop("signature_store")
    run = fx.run("publish", spec)
    check(run.code == 2 and "signature_store" in run.describe(), run.describe())


def put_manifest(fx, ref, media_type, body):
    host, rest = ref.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", data=body, method="PUT",
                                 headers={"Content-Type": media_type})
    with urllib.request.urlopen(req) as resp:
        check(resp.status == 201, f"PUT {ref}: {resp.status}")
        return resp.headers.get("Docker-Content-Digest")


def test_an_index_is_signed_with_each_platform_manifest(fx):
    """A multi-platform image: a pull of one platform checks that platform's manifest, so it needs a
    signature of its own beside the index's (as skopeo copy --sign-by makes them)."""
    spec, child = signed_build(fx, "multi", fx.secret, ("v1",))
    _, _, body = fx.manifest(spec["temp_image"])
    media_type = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": media_type, "digest": child, "size": len(body),
                                       "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    index_digest = put_manifest(fx, spec["temp_image"], "application/vnd.oci.image.index.v1+json", index)
    run = fx.run("publish", spec)
    check(run.code == 0, run.describe())
    check(run.result()["digest"] == index_digest, run.result())
    for digest in (child, index_digest):
        sig_dir = os.path.join(fx.store, "it", "multi@sha256=" + digest.split(":", 1)[1])
        check(sorted(os.listdir(sig_dir)) == ["signature-1", "signature-2"], f"{digest}: {os.listdir(sig_dir)}")
    policy, regd = verifier(fx, fx.public, "index")
    for ref in spec["final_images"]:
        for extra in ([], ["--all"]):
            r = skopeo_copy(fx, policy, regd, ref, *extra)
            check(r.returncode == 0, f"{ref} {extra} refused: {r.stderr}")


class SigningFixture(Fixture):
    """The runner fixture plus two GPG keys and a signature store."""

    def start(self):
        for tool in ("gpg", "gpgconf", "skopeo", "podman"):
            check(shutil.which(tool), f"required tool missing: {tool}")
        super().start()
        self.keys = Keys(self.dir)
        self.secret, self.public = self.keys.make("signer")
        _, self.wrong_public = self.keys.make("other")
        self.store = os.path.join(self.dir, "sigstore")
        return self

    def stop(self):
        if hasattr(self, "keys"):
            self.keys.stop()
        super().stop()


if __name__ == "__main__":
    main("signing", [test_every_published_tag_is_signed_and_verifies,
                     test_unsigned_image_and_wrong_key_are_refused,
                     test_an_index_is_signed_with_each_platform_manifest,
                     test_a_key_that_cannot_sign_fails_publish_before_any_tag,
                     test_publish_without_a_store_is_a_spec_error],
         fixture_class=SigningFixture)
