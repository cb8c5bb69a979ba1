"""Measure 7, memory: nbs-mcpd's resident set (VmRSS from /proc) idle, then with 1,000 finished jobs in its
history and 50 running, on the local executor with tests/unit/testutil/fake_runner as the runner (finished
jobs: no sleep; running jobs: FAKE_BUILD_SLEEP_MS of ten minutes). The baseline of the loaded figure is the
idle one, measured in the same run. Targets: idle <= 15 MB, loaded <= 40 MB.
Then the JSON-RPC batches of issue 13 (2025-03-26 era): a batch of 12,400 tools/list (~600 KB, the size of
the issue's; refused whole, over the 32-message cap) and batches of 32 tools/list (the largest accepted),
with the RSS after them against the loaded figure. Target: at most 8 MB more.
--quick: 50 finished and 5 running, fewer batches."""
import json
import time
import urllib.error
import urllib.request

from benchlib import (Daemon, Report, WorkDir, binary, check, ensure_build_user, fake_job, http, proc_status_kb,
                      reset_hwm, run_main)

MB = 1024  # kB


def settle_rss(daemon, seconds=2.0):
    time.sleep(seconds)
    return proc_status_kb(daemon.pid, "VmRSS")


def history_total(daemon):
    status, body = http("POST", daemon.url + "/mcp/getHistory", {"limit": 1})
    check(status == 200, f"getHistory answered {status}: {body}")
    return body["total"]


def fill_history(daemon, count):
    """`count` jobs that finish at once, each on its own branch (so none waits for another's build lock)."""
    start = time.perf_counter()
    ids = [daemon.submit(fake_job(f"done-{i}", sleep_ms=0)) for i in range(count)]
    end = time.time() + 600
    while history_total(daemon) < count and time.time() < end:
        time.sleep(0.5)
    check(history_total(daemon) >= count, f"only {history_total(daemon)} of {count} jobs finished")
    return ids, time.perf_counter() - start


def post_batch(daemon, count):
    """POSTs a batch of `count` tools/list to /mcp; (status, answer bytes, seconds)."""
    body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "tools/list"} for i in range(count)],
                      separators=(",", ":")).encode()
    req = urllib.request.Request(daemon.url + "/mcp", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            status, answer = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    return status, len(answer), time.perf_counter() - start, len(body)


def measure_batches(daemon, report, quick, baseline):
    hwm_reset = reset_hwm(daemon.pid)
    for _ in range(2 if quick else 5):
        status, answer, took, sent = post_batch(daemon, 12_400)
        check(status == 400, f"the 12,400-message batch answered {status}")
    report.note(f"a {sent / 1024:.0f} KB batch of 12,400 tools/list: {status}, {answer} bytes, {took * 1000:.1f} ms")
    rounds = 5 if quick else 50
    start = time.perf_counter()
    for _ in range(rounds):
        status, answer, _, _ = post_batch(daemon, 32)
        check(status == 200, f"a batch of 32 tools/list answered {status}")
    took = time.perf_counter() - start
    report.note(f"{rounds} batches of 32 tools/list: {answer / 1024:.0f} KB answered each, "
                f"{took / rounds * 1000:.1f} ms each")
    after = settle_rss(daemon)
    report.figure("nbs-mcpd RSS after the batches", after / MB, " MB", baseline=baseline / MB,
                  baseline_name="before them", target="<= +8 MB", ok=after <= baseline + 8 * MB)
    if hwm_reset:
        report.note(f"VmHWM during the batches {proc_status_kb(daemon.pid, 'VmHWM') / MB:.1f} MB")


def main(quick):
    finished, running = (50, 5) if quick else (1000, 50)
    ensure_build_user()
    report = Report(quick)
    work = WorkDir("memory")
    daemon = None
    try:
        daemon = Daemon(work, binary("FAKE_RUNNER"), extra=["--max-running-tasks", str(running + 14),
                                                            "--history-limit", str(finished), "--stop-grace", "2s"])
        idle = settle_rss(daemon)
        report.figure("nbs-mcpd RSS idle", idle / MB, " MB", target="<= 15 MB", ok=idle <= 15 * MB)
        report.note(f"VmHWM after start {proc_status_kb(daemon.pid, 'VmHWM') / MB:.1f} MB")

        _, took = fill_history(daemon, finished)
        report.note(f"{finished} finished jobs recorded in {took:.1f} s")
        live = [daemon.submit(fake_job(f"live-{i}", sleep_ms=600_000)) for i in range(running)]
        for job_id in live:
            daemon.wait_status(job_id, ("BUILDING",))
        # What a client does meanwhile: status of every running job, a page of history.
        for job_id in live:
            daemon.status(job_id)
        http("POST", daemon.url + "/mcp/getHistory", {"limit": 100})
        loaded = settle_rss(daemon)
        report.figure(f"nbs-mcpd RSS with {finished} finished and {running} running jobs", loaded / MB, " MB",
                      baseline=idle / MB, baseline_name="idle", target="<= 40 MB", ok=loaded <= 40 * MB)
        report.note(f"VmHWM {proc_status_kb(daemon.pid, 'VmHWM') / MB:.1f} MB; history total "
                    f"{history_total(daemon)}")
        measure_batches(daemon, report, quick, loaded)
        for job_id in live:
            http("POST", daemon.url + "/mcp/killJob", {"job_id": job_id})
        for job_id in live:
            daemon.wait_final(job_id, timeout=120)
    finally:
        if daemon:
            daemon.stop()
        work.remove()
    return report.finish()


if __name__ == "__main__":
    run_main(main)
