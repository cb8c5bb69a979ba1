"""Build secrets and SSH keys (`build.secrets`, `build.ssh`) through nbs-mcpd, on the local executor (files
of the daemon's --build-secrets-dir) or on Nomad (nomad-sim with Vault secrets, `--executor nomad`).

A Dockerfile's RUN mounts the secret and prints its sha256 (which proves Buildah got the real value) and
the value itself (which the runner must mask), and a second RUN finds the SSH agent holding the key. The
value is a unique marker, searched for in: getLogs, getStatus, getHistory, every layer and the config of
the published image, every file under the daemon's state directory, the daemon's log; on Nomad the build
phase's job definition, and the simulated cluster's data directory but the task's own secrets dir (where
the template renders it for the runner, as Nomad must) and its log. Bad sources are field errors at
submit on each executor."""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402
from secret_build_args_test import files_holding  # noqa: E402

DOCKERFILE = ("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
              "RUN --mount=type=secret,id=npmrc echo \"secret digest $(sha256sum < /run/secrets/npmrc)\" && "
              "cat /run/secrets/npmrc && echo\n"
              "RUN --mount=type=ssh,id=default test -S \"$SSH_AUTH_SOCK\" && echo ssh-agent-ok\n"
              "RUN echo built > /built\n")


class SecretsFixture(DaemonFixture):
    """The daemon fixture with a secret and an SSH key where the executor takes them from."""

    def start(self):
        self.marker = "nbs-build-secret-" + uuid.uuid4().hex
        # The operator's directory, outside the fixture's (which Fixture.start() makes): only root reads it.
        self.secrets = tempfile.mkdtemp(prefix="nbs-e2e-secrets-")
        with open(os.path.join(self.secrets, "npmrc"), "w") as f:
            f.write(f"//registry.npmjs.org/:_authToken={self.marker}\n")
        harness.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nbs-e2e", "-f",
                   os.path.join(self.secrets, "deploy-key"))
        with open(os.path.join(self.secrets, "deploy-key")) as f:
            key = f.read()
        with open(os.path.join(self.secrets, "vault.json"), "w") as f:
            json.dump({"secret/data/ci/npm": {"data": {"npmrc": f"//registry.npmjs.org/:_authToken={self.marker}\n"}},
                       "secret/data/ci/git": {"data": {"private-key": key}}}, f)
        return super().start()

    def sim_flags(self):
        return ["--vault-secrets", os.path.join(self.secrets, "vault.json")]

    def executor_flags(self):
        flags = super().executor_flags()
        return flags + ["--build-secrets-dir", self.secrets] if self.executor == "local" else flags

    def build_config(self):
        if self.executor == "local":
            sources = ("file:npmrc", "file:deploy-key")
        else:
            sources = ("vault:secret/data/ci/npm#npmrc", "vault:secret/data/ci/git#private-key")
        return {"secrets": [{"id": "npmrc", "source": sources[0]}],
                "ssh": [{"id": "default", "source": sources[1]}]}

    def stop(self):
        super().stop()
        shutil.rmtree(self.secrets, ignore_errors=True)


def test_a_build_secret_reaches_its_run_step_and_nothing_else(f):
    f.make_repo("build-secrets", {"Dockerfile": DOCKERFILE})
    job_id = f.submit(f.job("build-secrets", build=f.build_config()))
    final = f.wait_final(job_id)
    check(final["status"] == "SUCCEEDED", f"{final}\n{f.daemon_log()}")
    logs = f.logs(job_id, "phase=build&mode=tail&tail_lines=400")
    lines = logs["lines"]
    value = f"//registry.npmjs.org/:_authToken={f.marker}\n"
    problems = []
    if not any("secret digest " + hashlib.sha256(value.encode()).hexdigest() in line for line in lines):
        problems.append(f"the RUN did not read the secret (its sha256 is not in the log): {lines[-30:]}")
    if not any(line.endswith("***") for line in lines):
        problems.append(f"the value the RUN printed is not masked: {lines[-30:]}")
    if not any(line.endswith("ssh-agent-ok") for line in lines):
        problems.append(f"the RUN found no SSH agent: {lines[-30:]}")
    places = {
        "getLogs": json.dumps(logs),
        "getLogs grep": json.dumps(f.logs(job_id, f"phase=build&mode=grep&pattern={f.marker}")),
        "getStatus": json.dumps(f.status(job_id)),
        "getHistory": json.dumps(f.call("POST", "/mcp/getHistory", {"owner": "e2e", "limit": 100})[1]),
        "the daemon's log": open(os.path.join(f.dir, "nbs-mcpd.log")).read(),
    }
    problems += [f"{place} shows the secret" for place, content in places.items() if f.marker in content]
    for i, blob in enumerate(f.image_blobs(final["images"][0])):
        if f.marker.encode() in blob:
            problems.append(f"blob {i} of the published image holds the secret")
    f.check_nothing_left(job_id)
    problems += [f"{path} under the state directory holds the secret" for path in files_holding(f.state, f.marker)]
    if f.executor == "nomad":
        with urllib.request.urlopen(f"{f.nomad_addr}/v1/job/nbs-{job_id}-build") as resp:
            definition = resp.read().decode()
        if f.marker in definition:
            problems.append("the build phase's Nomad job definition holds the secret")
        data = os.path.join(f.dir, "nomad")
        problems += [f"{path} under nomad-sim's data directory holds the secret"
                     for path in files_holding(data, f.marker)
                     if not (os.path.basename(os.path.dirname(path)) == "secrets" and
                             os.path.basename(path) == "secret-npmrc")]
        with open(os.path.join(f.dir, "nomad-sim.log")) as log:
            if f.marker in log.read():
                problems.append("nomad-sim's log shows the secret")
    check(not problems, "\n".join(problems))


def test_bad_sources_are_field_errors_at_submit(f):
    other = "vault:secret/data/ci/npm#npmrc" if f.executor == "local" else "file:npmrc"
    cases = [
        ({"secrets": [{"id": "a/b", "source": "file:npmrc"}]}, "build.secrets[0].id"),
        ({"secrets": [{"id": "npmrc", "source": "file:../npmrc"}]}, "build.secrets[0].source"),
        ({"secrets": [{"id": "npmrc", "source": other}]}, "build.secrets[0].source"),
        ({"ssh": [{"id": "default", "source": "/root/.ssh/id_rsa"}]}, "build.ssh[0].source"),
    ]
    if f.executor == "local":
        cases.append(({"secrets": [{"id": "npmrc", "source": "file:no-such-secret"}]}, "build.secrets[0].source"))
    f.check_refused_at_submit([(f.job("hello-world", build=build), field) for build, field in cases])


if __name__ == "__main__":
    SecretsFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    harness.main(f"e2e-build-secrets-{SecretsFixture.executor}",
                 [test_bad_sources_are_field_errors_at_submit, test_a_build_secret_reaches_its_run_step_and_nothing_else],
                 fixture_class=SecretsFixture)
