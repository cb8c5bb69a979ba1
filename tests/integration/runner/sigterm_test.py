"""nbs-runner under SIGTERM and deadlines: a stopped build exits "killed", a push interrupted by SIGTERM
leaves every final tag absent or complete, and the spec's deadline is enforced (issue 3)."""
import datetime
import json
import signal
import time

from harness import check, main

BIG = "RUN dd if=/dev/urandom of=/big.bin bs=1M count=120 2>/dev/null && echo big-layer-made\n"


def wait_for_line(proc, predicate, timeout=120):
    """Reads events until one satisfies predicate; returns the lines read."""
    lines = []
    end = time.time() + timeout
    while time.time() < end:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if predicate(json.loads(line)):
            return lines
    raise AssertionError("event never came:\n" + "".join(lines[-20:]))


def finish(proc):
    out, err = proc.communicate(timeout=120)
    return proc.returncode, [json.loads(l) for l in out.splitlines() if l.strip()], err


def tag_absent_or_complete(fx, ref):
    status, digest, body = fx.manifest(ref)
    if status == 404:
        return "absent"
    check(status == 200, f"{ref}: manifest status {status}")
    manifest = json.loads(body)
    host, rest = ref.split("/", 1)
    repo = rest.rsplit(":", 1)[0]
    for blob in [manifest["config"]] + manifest["layers"]:
        check(fx.blob_exists(host, repo, blob["digest"]), f"{ref}: blob {blob['digest']} missing")
    return "complete"


def test_sigterm_during_build_stops_buildah_and_exits_killed(fx):
    fx.make_repo("slow", {"Dockerfile": f"FROM {fx.base}\nRUN echo sleeping && sleep 60\n"})
    proc = fx.start_run("build", fx.spec("slow", tags=()))
    wait_for_line(proc, lambda e: e.get("text") == "sleeping")
    start = time.time()
    proc.send_signal(signal.SIGTERM)
    code, events, err = finish(proc)
    check(code == 20, f"exit {code}: {err}")
    check(time.time() - start < 15, "stopping took too long")
    end = events[-1]
    check(end["kind"] == "phase_end" and end["exit_code"] == 20 and end["text"].startswith("killed"), end)


def test_sigterm_during_push_leaves_final_tags_absent_or_complete(fx):
    fx.make_repo("big", {"Dockerfile": f"FROM {fx.base}\n{BIG}"})
    outcomes = []
    # With the default grace the running push completes; with none it is cut. Either way no tag is partial.
    for flags in ((), ("--push-stop-grace-ms", "0")):
        spec = fx.spec("big", tags=("latest", "stable"))
        proc = fx.start_run("build", spec, *flags)
        wait_for_line(proc, lambda e: e.get("text", "").startswith("$ buildah") and " push " in e["text"], timeout=300)
        wait_for_line(proc, lambda e: e.get("text", "").startswith("Copying blob"))
        proc.send_signal(signal.SIGTERM)
        code, events, err = finish(proc)
        check(code == 20, f"{flags}: exit {code}: {err}")
        check(events[-1]["text"].startswith("killed"), events[-1])
        states = [tag_absent_or_complete(fx, ref) for ref in spec["final_images"]]
        outcomes.append(states)
        # Later tags are never started after the stop.
        check(states[-1] == "absent", f"{flags}: {states}")
    check(outcomes[0][0] == "complete", f"the running push did not finish within the grace: {outcomes}")


def test_deadline_in_the_spec_is_enforced(fx):
    fx.make_repo("late", {"Dockerfile": f"FROM {fx.base}\nRUN sleep 60\n"})
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
    spec = fx.spec("late", tags=(), deadline=deadline.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    start = time.time()
    run = fx.run("build", spec)
    check(run.code == 21, run.describe())
    check(time.time() - start < 20, "the deadline was not enforced promptly")
    check(run.end()["text"].startswith("deadline"), run.end())
    check(run.result()["reason"] == "deadline", run.result())


if __name__ == "__main__":
    main("sigterm", [test_sigterm_during_build_stops_buildah_and_exits_killed,
                     test_sigterm_during_push_leaves_final_tags_absent_or_complete,
                     test_deadline_in_the_spec_is_enforced])
