"""Signing published images (`sign: {key_ref}`, issue 16 item 4) through nbs-mcpd, on the local executor (the
key a file of the daemon's --build-secrets-dir) or on Nomad (nomad-sim with the key in Vault,
`--executor nomad`).

A job with `sign` and no tests goes build → publish; every published tag then verifies with skopeo under a
policy.json `signedBy` rule and the daemon's --signature-store as the registries.d lookaside, getStatus
lists the tags as signed_images, and the key (a line of its armour) is in no log, answer, state file, the
daemon's log or (on Nomad) the publish phase's job definition. Bad key_refs are field errors at submit."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402
from secret_build_args_test import files_holding  # noqa: E402


class SigningFixture(DaemonFixture):
    """The daemon fixture with a throwaway GPG key where the executor takes it from, and a signature store."""

    def start(self):
        for tool in ("gpg", "gpgconf", "skopeo"):
            check(shutil.which(tool), f"required tool missing: {tool}")
        # The operator's directory, outside the fixture's: only root reads it.
        self.secrets = tempfile.mkdtemp(prefix="nbs-e2e-signing-")
        self.gnupg = os.path.join(self.secrets, "gnupg")
        os.makedirs(self.gnupg, mode=0o700)
        params = os.path.join(self.secrets, "params")
        with open(params, "w") as f:
            f.write("%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\nName-Real: NBS e2e\n"
                    "Expire-Date: 0\n%commit\n")
        env = dict(os.environ, GNUPGHOME=self.gnupg)
        harness.sh("gpg", "--batch", "--gen-key", params, env=env)
        key_file = os.path.join(self.secrets, "signing.asc")
        harness.sh("gpg", "--batch", "--armor", "--output", key_file, "--export-secret-keys", env=env)
        self.public = os.path.join(self.secrets, "public.gpg")
        harness.sh("gpg", "--batch", "--output", self.public, "--export", env=env)
        os.chmod(self.public, 0o644)
        os.chmod(self.secrets, 0o711)  # skopeo (root here) reads the public key; nothing else is listed
        with open(key_file) as f:
            key = f.read()
        # Long armour lines are unique to this key: what must never show anywhere.
        self.markers = [line for line in key.splitlines() if len(line) >= 60][2:5]
        with open(os.path.join(self.secrets, "vault.json"), "w") as f:
            json.dump({"secret/data/ci/signing": {"data": {"private-key": key}}}, f)
        super_started = super().start()
        return super_started

    def start_daemon(self):
        # Fixture.start() has made self.dir by now; the runner (the build user) writes the store.
        self.store = os.path.join(self.dir, "sigstore")
        os.makedirs(self.store, mode=0o755)
        shutil.chown(self.store, "build", "build")
        return super().start_daemon()

    def sim_flags(self):
        return ["--vault-secrets", os.path.join(self.secrets, "vault.json")]

    def executor_flags(self):
        flags = super().executor_flags() + ["--signature-store", self.store]
        return flags + ["--build-secrets-dir", self.secrets] if self.executor == "local" else flags

    def key_ref(self):
        return "file:signing.asc" if self.executor == "local" else "vault:secret/data/ci/signing#private-key"

    def stop(self):
        super().stop()
        subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=self.gnupg), capture_output=True)
        shutil.rmtree(self.secrets, ignore_errors=True)

    def verify(self, ref, public_key=None, global_flags=(), copy_flags=()):
        """skopeo copy of `ref` under a signedBy policy with our public key and the store as lookaside."""
        root = tempfile.mkdtemp(prefix="verify-", dir=self.dir)
        os.makedirs(os.path.join(root, "regd"))
        policy = os.path.join(root, "policy.json")
        with open(policy, "w") as f:
            json.dump({"default": [{"type": "reject"}],
                       "transports": {"docker": {self.registry: [{"type": "signedBy", "keyType": "GPGKeys",
                                                                  "keyPath": public_key or self.public}]},
                                      "dir": {"": [{"type": "insecureAcceptAnything"}]}}}, f)
        with open(os.path.join(root, "regd", "default.yaml"), "w") as f:
            f.write(f"docker:\n  {self.registry}:\n    lookaside: file://{self.store}\n")
        return subprocess.run(["skopeo", "--policy", policy, "--registries.d", os.path.join(root, "regd"),
                               *global_flags, "copy", "--src-tls-verify=false", *copy_flags,
                               f"docker://{ref}", f"dir:{os.path.join(root, 'out')}"],
                              capture_output=True, text=True)


def test_every_tag_of_a_signed_job_verifies_and_the_key_shows_nowhere(f):
    job_id = f.submit(f.job("hello-world", image_tags=["signed", "stable"], sign={"key_ref": f.key_ref()}))
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"{final}\n{f.daemon_log()}")
    check(final["times"]["test_start"] is None and final["times"]["publish_start"] is not None, final["times"])
    check(len(final["images"]) == 3 and final.get("signed_images") == final["images"], final)
    problems = []
    for ref in final["images"]:
        r = f.verify(ref)
        if r.returncode != 0:
            problems.append(f"{ref} did not verify: {r.stderr}")
    # The temp tag was never signed and is gone; an unsigned image (the base) is refused.
    r = f.verify(f.base)
    if r.returncode == 0 or "A signature was required, but no signature exists" not in r.stderr:
        problems.append(f"the unsigned base image was not refused: {r.returncode} {r.stderr}")
    places = {
        "getLogs": json.dumps(f.logs(job_id, "phase=publish&mode=tail&tail_lines=400")),
        "getStatus": json.dumps(f.status(job_id)),
        "getHistory": json.dumps(f.call("POST", "/mcp/getHistory", {"owner": "e2e", "limit": 100})[1]),
        "the daemon's log": f.daemon_log(),
    }
    for marker in f.markers:
        problems += [f"{place} shows the key" for place, content in places.items() if marker in content]
        problems += [f"{path} under the state directory holds the key" for path in files_holding(f.state, marker)]
    if f.executor == "nomad":
        with urllib.request.urlopen(f"{f.nomad_addr}/v1/job/nbs-{job_id}-publish") as resp:
            definition = resp.read().decode()
        problems += ["the publish phase's Nomad job definition holds the key"
                     for marker in f.markers if marker in definition]
    else:
        publish_dir = os.path.join(f.state, "phases", f"nbs-{job_id}-publish")
        if os.path.exists(os.path.join(publish_dir, "build-secrets")):
            problems.append("the key's copy outlived the publish phase")
    f.check_nothing_left(job_id)
    check(not problems, "\n".join(problems))


def test_a_signed_two_platform_image_verifies_for_each_platform(f):
    """Several platforms (an OCI index) with `sign` and no tests: the index and each platform's manifest
    are signed for every tag, so a pull of either platform, or of all, verifies."""
    f.make_repo("signed-multi", {"Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello.txt /hello.txt\n",
                                 "hello.txt": "hello, signed\n"})
    job_id = f.submit(f.job("signed-multi", platforms=["linux/amd64", "linux/arm64"], image_tags=["v1"],
                            sign={"key_ref": f.key_ref()}))
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"{final}\n{f.daemon_log()}")
    check(final.get("signed_images") == final["images"] and len(final["images"]) == 2, final)
    problems = []
    for ref in final["images"]:
        for global_flags, copy_flags in (((), ()), (("--override-arch", "arm64"), ()), ((), ("--all",))):
            r = f.verify(ref, global_flags=global_flags, copy_flags=copy_flags)
            if r.returncode != 0:
                problems.append(f"{ref} {global_flags} {copy_flags} did not verify: {r.stderr}")
    check(not problems, "\n".join(problems))


def test_bad_key_refs_are_field_errors_at_submit(f):
    other = "vault:secret/data/ci/signing#private-key" if f.executor == "local" else "file:signing.asc"
    cases = [{"key_ref": "file:../signing.asc"}, {"key_ref": other}, {"key_ref": "/root/key.asc"}]
    if f.executor == "local":
        cases.append({"key_ref": "file:no-such-key"})
    f.check_refused_at_submit([(f.job("hello-world", sign=sign), "sign.key_ref") for sign in cases])


if __name__ == "__main__":
    SigningFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-signing-{SigningFixture.executor}",
                 [test_bad_key_refs_are_field_errors_at_submit,
                  test_every_tag_of_a_signed_job_verifies_and_the_key_shows_nowhere,
                  test_a_signed_two_platform_image_verifies_for_each_platform],
                 fixture_class=SigningFixture)
