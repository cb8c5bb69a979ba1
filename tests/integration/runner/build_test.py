"""nbs-runner build against a real registry, a Git smart-HTTP server and rootless Buildah (issue 3)."""
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import harness
from harness import check, git, main

TOKEN = "tok-Zq8v1R4nXw2Pc7Ls"
PASSWORD = "pw-Hy3kQm9Tt5Va"


def dockerfile(base, extra=""):
    return (f"FROM {base}\n"
            "RUN echo prepared > /prepared.txt\n"
            "COPY app.txt /app.txt\n"
            "RUN cat /app.txt && echo \"version=$(cat /app.txt)\"\n" + extra)


def test_multi_step_build_pushes_and_digest_matches_registry(fx):
    fx.make_repo("app", {"Dockerfile": dockerfile(fx.base, "COPY leak.txt /leak.txt\nRUN cat /leak.txt\n"), "app.txt": "v1\n",
                         "leak.txt": f"the token is {TOKEN} and the password {PASSWORD}\n"})
    token_file = os.path.join(fx.dir, "git-token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    auth_file = os.path.join(fx.dir, "auth.json")
    with open(auth_file, "w") as f:
        f.write('{"auths":{"%s":{"auth":"%s"}}}' % (fx.registry, base64.b64encode(f"u:{PASSWORD}".encode()).decode()))
    spec = fx.spec("app", credentials={"git_token_file": token_file, "registry_auth_file": auth_file})
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    end = run.end()
    check(end["exit_code"] == 0 and end["text"].startswith("ok"), end)
    steps = [(e["step"], e["steps"]) for e in run.kind("step")]
    check(steps == [(i, 6) for i in range(1, 7)], f"steps {steps}")
    result = run.result()
    check(result["reason"] == "ok" and result["digest"].startswith("sha256:"), result)
    check(result["commit"] == git(os.path.join(fx.dir, "src-app"), "rev-parse", "HEAD"), result)
    for ref in spec["final_images"]:
        status, digest, _ = fx.manifest(ref)
        check(status == 200 and digest == result["digest"], f"{ref}: {status} {digest} != {result['digest']}")
    check(sorted(result["tags"]) == sorted(spec["final_images"]), result["tags"])
    # Secrets from the credential files never appear; the masked form does.
    with open(spec["result_path"]) as f:
        result_text = f.read()
    for secret in (TOKEN, PASSWORD):
        for where, text in (("stdout", run.stdout), ("stderr", run.stderr), ("result", result_text)):
            check(secret not in text, f"secret leaked into {where}")
    check(any("the token is *** and the password ***" in t for t in run.texts()), "masked line missing")


def test_provenance_and_job_labels_reach_the_registry(fx):
    """Every image says where it came from (source, revision, created) and carries the job's labels, in
    its config and its manifest; the LABEL steps Buildah adds for them are not steps of the build."""
    src = fx.make_repo("labelled", {"Dockerfile": dockerfile(fx.base), "app.txt": "v1\n"})
    spec = fx.spec("labelled")
    spec["request"]["labels"] = {"org.opencontainers.image.title": "labelled app", "team": "a=b; $(x)"}
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    steps = [(e["step"], e["steps"]) for e in run.kind("step")]
    check(steps == [(i, 4) for i in range(1, 5)], f"steps {steps}")
    labels, annotations = fx.labels_and_annotations(spec["final_images"][0])
    commit = git(src, "rev-parse", "HEAD")
    for where, got in (("labels", labels), ("annotations", annotations)):
        check(got.get("org.opencontainers.image.source") == spec["request"]["repo_url"], f"{where}: {got}")
        check(got.get("org.opencontainers.image.revision") == commit, f"{where}: {got}")
        # The commit's time, not the build's: a rebuild of the commit is the same image.
        check(got.get("org.opencontainers.image.created") == fx.commit_time(src), f"{where}: {got}")
        check(got.get("org.opencontainers.image.title") == "labelled app" and got.get("team") == "a=b; $(x)",
              f"{where}: {got}")


def test_build_secret_and_ssh_key_reach_the_run_steps_and_nothing_else(fx):
    """build.secrets and build.ssh: a RUN step reads the secret (its sha256 in the log proves the value) and
    finds the SSH agent; the value is masked in the log and in no layer, no config, no result, and the
    staged copies are gone after the build."""
    value = "npm-token-" + os.urandom(8).hex()
    fx.make_repo("secrets", {"Dockerfile": (
        f"FROM {fx.base}\n"
        "RUN --mount=type=secret,id=npmrc echo \"secret digest $(sha256sum < /run/secrets/npmrc)\" && "
        "cat /run/secrets/npmrc && echo\n"
        "RUN --mount=type=ssh,id=default test -S \"$SSH_AUTH_SOCK\" && echo ssh-agent-ok\n"
        "RUN echo built > /built\n")})
    given = os.path.join(fx.dir, "secrets-given")
    os.makedirs(given, mode=0o700)
    with open(os.path.join(given, "secret-npmrc"), "w") as f:
        f.write(value)
    harness.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nbs-test", "-f", os.path.join(given, "ssh-default"))
    spec = fx.spec("secrets", credentials={"build_secrets_dir": given})
    # As deep as a Nomad allocation's task directory: Buildah's SSH agent socket goes under the work dir's
    # TMPDIR, and a unix socket path longer than 107 bytes cannot be bound.
    spec["work_dir"] = os.path.join(spec["work_dir"], "allocs", "cc7aa8c1-6fe9-4633-889b-741aaaa7d80e", "runner",
                                    "local", "work")
    os.makedirs(spec["work_dir"], mode=0o755)
    spec["request"]["build"] = {"secrets": [{"id": "npmrc", "source": "file:npmrc"}],
                                "ssh": [{"id": "default", "source": "file:deploy-key"}]}
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    texts = run.texts()
    digest = hashlib.sha256(value.encode()).hexdigest()
    check(any(f"secret digest {digest}" in t for t in texts), f"the RUN did not read the secret: {texts[-20:]}")
    check("***" in texts, f"the secret printed by cat is not masked: {texts[-20:]}")
    check("ssh-agent-ok" in texts, f"the RUN found no SSH agent: {texts[-20:]}")
    with open(spec["result_path"]) as f:
        result_text = f.read()
    for where, text in (("stdout", run.stdout), ("stderr", run.stderr), ("result", result_text)):
        check(value not in text, f"the secret's value is in the runner's {where}")
    for i, blob in enumerate(fx.image_blobs(spec["final_images"][0])):
        check(value.encode() not in blob, f"the secret's value is in blob {i} of the image")
    check(not os.path.exists(os.path.join(spec["work_dir"], "build-secrets")), "the staged copies outlived the build")


def test_second_build_fetches_only_new_objects_and_hits_the_cache(fx):
    src = fx.make_repo("cached", {"Dockerfile": dockerfile(fx.base), "app.txt": "v1\n"})
    first = fx.run("build", fx.spec("cached"))
    check(first.code == 0, first.describe())
    fx.commit(src, {"app.txt": "v2\n"}, "one-file change")
    fx.push(src, "main")
    second = fx.run("build", fx.spec("cached"))
    check(second.code == 0, second.describe())
    fetch = [t for t in second.texts() if t.startswith("git: ") and "received_objects=" in t]
    check(fetch and "received_objects=3 " in fetch[0], f"fetch line: {fetch}")
    check("created mirror" not in fetch[0], fetch[0])
    cache_hits = [t for t in second.texts() if t.startswith("--> Using cache")]
    check(len(cache_hits) >= 1, "no cached step reported")
    check(second.result()["cached_steps"] == len(cache_hits), second.result())
    check(any(t == "version=v2" for t in second.texts()), "the changed file was not built")


def test_clear_cache_runs_every_step_again(fx):
    fx.make_repo("uncached", {"Dockerfile": dockerfile(fx.base), "app.txt": "v1\n"})
    first = fx.run("build", fx.spec("uncached"))
    check(first.code == 0, first.describe())
    again = fx.spec("uncached")
    again["request"]["clear_cache"] = True
    second = fx.run("build", again)
    check(second.code == 0, second.describe())
    hits = [t for t in second.texts() if t.startswith("--> Using cache")]
    check(hits == [] and second.result()["cached_steps"] == 0, f"clear_cache used the cache: {hits}")


# Buildah pushes a cache entry for each step it builds: the three of dockerfile() and the LABEL step it adds
# for each provenance label (--label source, revision, created), whose values change with every commit or
# build and so are never found again.
CACHED_STEPS = 3 + 3


def test_registry_cache_feeds_a_cold_node(fx):
    """Issue 16 item 2: node A builds and pushes its layers to the cache repository; node B (an empty
    storage) rebuilds after a one-file change and takes the unchanged step's layer from the registry,
    which Buildah's own lines show; node C, the same without a cache, runs every step."""
    src = fx.make_repo("shared", {"Dockerfile": dockerfile(fx.base), "app.txt": "v1\n"})
    cache_repo = f"{fx.registry}/it/shared/cache"

    def build(node_cache, cache=None):
        spec = fx.spec("shared", cache_dir=node_cache)
        if cache is not None:
            spec["request"]["cache"] = cache
        run = fx.run("build", spec)
        check(run.code == 0, run.describe())
        return run

    first = build(fx.node_cache(), {"registry_ref": cache_repo})
    argv = [t for t in first.texts() if t.startswith("$ buildah") and " bud " in t]
    check(argv and f"--cache-from {cache_repo} --cache-to {cache_repo}" in argv[0], f"bud argv: {argv}")
    pushed = [t for t in first.texts() if t.startswith("--> Pushing cache " + cache_repo + ":")]
    check(len(pushed) == CACHED_STEPS, f"expected a cache push per RUN/COPY/LABEL step, got {pushed}")
    check(len(fx.tags(fx.registry, "it/shared/cache")) == CACHED_STEPS, fx.tags(fx.registry, "it/shared/cache"))

    fx.commit(src, {"app.txt": "v2\n"}, "one-file change")
    fx.push(src, "main")
    # `cache: {}` is the same repository: <registry>/<image path>/cache.
    cold = build(fx.node_cache(), {})
    pulled = [t for t in cold.texts() if t.startswith("--> Cache pulled from remote " + cache_repo + ":")]
    check(len(pulled) == 1, f"the unchanged RUN should come from the registry cache: {cold.texts()}")
    check(cold.result()["cached_steps"] == 1, cold.result())
    check(any(t == "version=v2" for t in cold.texts()), "the changed file was not built")
    check(any(t.startswith("--> Pushing cache " + cache_repo) for t in cold.texts()), "new layers not pushed")

    control = build(fx.node_cache())
    check(not any("Cache pulled" in t or "Using cache" in t for t in control.texts()),
          "a cold node without the registry cache used a cache")
    check(control.result()["cached_steps"] == 0, control.result())

    # clear_cache reads nothing from the registry cache either, and still writes what it builds.
    spec = fx.spec("shared", cache_dir=fx.node_cache())
    spec["request"].update(cache={}, clear_cache=True)
    cleared = fx.run("build", spec)
    check(cleared.code == 0, cleared.describe())
    check(not any("Cache pulled" in t or "Using cache" in t for t in cleared.texts()), "clear_cache read the cache")
    check(len([t for t in cleared.texts() if t.startswith("--> Pushing cache " + cache_repo + ":")]) == CACHED_STEPS,
          cleared.describe())


def start_htpasswd_registry(fx, user, password):
    """A docker-registry that wants Basic credentials (htpasswd), marked insecure in the fixture's
    registries.conf. Returns (address, pid)."""
    top = os.path.join(fx.dir, "authreg")
    os.makedirs(top)
    with open(os.path.join(top, "htpasswd"), "w") as f:
        f.write(subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True,
                               text=True).stdout)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with open(os.path.join(top, "config.yml"), "w") as f:
        f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {top}/storage\n"
                f"auth:\n  htpasswd:\n    realm: nbs\n    path: {top}/htpasswd\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    log = open(os.path.join(top, "registry.log"), "w")
    proc = subprocess.Popen(["docker-registry", "serve", os.path.join(top, "config.yml")], stdout=log,
                            stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{address}/v2/", timeout=1)
        except urllib.error.HTTPError as e:
            if e.code == 401:
                break
        except OSError:
            time.sleep(0.1)
    with open(fx.registries_conf, "a") as f:
        f.write(f'\n[[registry]]\nlocation = "{address}"\ninsecure = true\n')
    return address, proc


def test_registry_cache_uses_the_push_credentials(fx):
    """The cache repository on a registry that wants credentials: Buildah reads and writes it with the
    auth file the push uses (without `--authfile` on bud, the first cache push fails the build)."""
    user, password = "cacher", "pw-Qz4nCache8Lr"
    registry, proc = start_htpasswd_registry(fx, user, password)
    try:
        auth_file = os.path.join(fx.dir, "cache-auth.json")
        with open(auth_file, "w") as f:
            f.write('{"auths":{"%s":{"auth":"%s"}}}' % (registry, base64.b64encode(f"{user}:{password}".encode()).decode()))
        src = fx.make_repo("private", {"Dockerfile": dockerfile(fx.base), "app.txt": "v1\n"})

        def build():
            spec = fx.spec("private", cache_dir=fx.node_cache(), credentials={"registry_auth_file": auth_file})
            spec["request"]["registry_url"] = registry
            spec["final_images"] = [ref.replace(fx.registry, registry, 1) for ref in spec["final_images"]]
            spec["request"]["cache"] = {}
            run = fx.run("build", spec)
            check(run.code == 0, run.describe())
            return run

        first = build()
        argv = [t for t in first.texts() if t.startswith("$ buildah") and " bud " in t]
        check(argv and " --authfile " in argv[0], f"bud argv: {argv}")
        check(len([t for t in first.texts() if t.startswith(f"--> Pushing cache {registry}/it/private/cache:")])
              == CACHED_STEPS,
              first.describe())
        req = urllib.request.Request(f"http://{registry}/v2/it/private/cache/tags/list")
        try:
            urllib.request.urlopen(req)
            check(False, "the registry answered without credentials")
        except urllib.error.HTTPError as e:
            check(e.code == 401, f"expected 401 without credentials, got {e.code}")
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
        with urllib.request.urlopen(req) as resp:
            check(len(json.load(resp)["tags"]) == CACHED_STEPS, "the cache tags are missing")
        fx.commit(src, {"app.txt": "v2\n"}, "one-file change")
        fx.push(src, "main")
        second = build()
        pulled = [t for t in second.texts() if t.startswith(f"--> Cache pulled from remote {registry}/it/private/cache:")]
        check(len(pulled) == 1, second.describe())
        check(password not in second.stdout + second.stderr, "the password leaked into the output")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_checkout_of_branch_tags_and_shas(fx):
    df = f"FROM {fx.base}\nCOPY version.txt /v.txt\nRUN echo \"built=$(cat /v.txt)\"\n"
    src = fx.make_repo("refs", {"Dockerfile": df, "version.txt": "main-1\n"})
    first = git(src, "rev-parse", "HEAD")
    git(src, "tag", "v1.0")
    git(src, "tag", "-a", "v1.0-annotated", "-m", "annotated")
    git(src, "checkout", "-q", "-b", "feature")
    feature = fx.commit(src, {"version.txt": "feature-1\n"}, "feature")
    git(src, "checkout", "-q", "main")
    fx.commit(src, {"version.txt": "main-2\n"}, "main moves on")
    fx.push(src, "main", "feature", "v1.0", "v1.0-annotated")
    cases = [("feature", "branch", feature, "feature-1"), ("v1.0", "tag", first, "main-1"),
             ("v1.0-annotated", "tag", first, "main-1"), (feature, "commit", feature, "feature-1"),
             (first[:10], "commit", first, "main-1")]
    for ref, kind, commit, content in cases:
        run = fx.run("build", fx.spec("refs", ref=ref, tags=()))
        check(run.code == 0, f"{ref}: " + run.describe())
        check(f"git: checked out {kind} {ref} at {commit}" in run.texts(), f"{ref}: checkout line missing")
        with open(os.path.join(run.spec["work_dir"], "src", "version.txt")) as f:
            check(f.read() == content + "\n", f"{ref}: checked out the wrong tree")
        # Refs naming the same tree reuse every cached step; otherwise the RUN output shows the content.
        cached = run.result()["cached_steps"] == run.result()["steps"] - 1
        check(cached or f"built={content}" in run.texts(), f"{ref}: built the wrong tree")
        check(run.result()["commit"] == commit and run.result()["ref_kind"] == kind, run.result())


def test_failing_run_step_reports_exit_code_and_lines(fx):
    df = f"FROM {fx.base}\nRUN echo fine\nRUN echo about-to-fail && echo oops >&2 && exit 3\nRUN echo never\n"
    fx.make_repo("broken", {"Dockerfile": df})
    run = fx.run("build", fx.spec("broken", tags=()))
    check(run.code == 11, run.describe())
    end = run.end()
    # phase_end leads with Buildah's own error line, the one line that says the most.
    check(end["exit_code"] == 11 and end["text"].startswith(
        'build_failed: building at STEP "RUN echo about-to-fail && echo oops >&2 && exit 3"'), end)
    errors = run.kind("error")
    check(len(errors) == 1 and errors[0]["exit_code"] == 3, errors)
    check(errors[0].get("class") == "build_step_failed", errors)
    text = errors[0]["text"]
    for expected in ("STEP 3/4: RUN echo about-to-fail", "about-to-fail", "oops", "exit status 3"):
        check(expected in text, f"{expected!r} missing from the error: {text}")
    check("never" not in text, text)
    result = run.result()
    check(result["reason"] == "build_failed" and "about-to-fail" in result["error"], result)


def test_invalid_spec_and_missing_ref(fx):
    spec = fx.spec("app")
    spec["cache_dir"] = "relative"
    run = fx.run("build", spec)
    check(run.code == 2, run.describe())
    check(run.end()["text"] == "spec_invalid: cache_dir: must be an absolute path", run.end())
    run = fx.run("build", fx.spec("app", ref="no-such-branch"))
    check(run.code == 10, run.describe())
    check(run.end()["text"] == "git_failed: git_ref: no-such-branch is no branch, tag or commit in the repository",
          run.end())


def test_refuses_root_buildah_without_allow_root(fx):
    run = fx.run("build", fx.spec("app", build_user=""))
    check(run.code == 15, run.describe())
    check(re.match(r"not_ready: build_user: the runner is root", run.end()["text"]), run.end())


if __name__ == "__main__":
    main("build", [test_multi_step_build_pushes_and_digest_matches_registry,
                   test_provenance_and_job_labels_reach_the_registry,
                   test_build_secret_and_ssh_key_reach_the_run_steps_and_nothing_else,
                   test_second_build_fetches_only_new_objects_and_hits_the_cache,
                   test_clear_cache_runs_every_step_again,
                   test_registry_cache_feeds_a_cold_node,
                   test_registry_cache_uses_the_push_credentials,
                   test_checkout_of_branch_tags_and_shas,
                   test_failing_run_step_reports_exit_code_and_lines,
                   test_invalid_spec_and_missing_ref,
                   test_refuses_root_buildah_without_allow_root])
