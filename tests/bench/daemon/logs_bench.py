"""Measure 5, getLogs on a big log: the tail of 200 lines of a 100 MB build-phase log (written by
log_runner.py, which stands in for nbs-runner), on the local executor and on the Nomad executor through
nomad-sim (the log rotated into 10 MiB files as Nomad keeps it). For each: the latency of the call as a
client sees it (REST mirror, the same handler as MCP) and the growth of nbs-mcpd's peak RSS (VmHWM from
/proc, reset to the current RSS first) over the calls; the baseline in the same run is reading the whole log
through getLogs (range mode, the largest pages, cursor to the end).
Targets: tail <= 50 ms and peak RSS growth <= 8 MB.
--quick: a 5 MB log, 3 tail calls."""
import os
import shutil
import time
import urllib.parse

from benchlib import (HERE, Daemon, NomadSim, Report, WorkDir, check, ensure_build_user, fake_job, median,
                      percentile, proc_status_kb, reset_hwm, run_main)

LOG_RUNNER = os.path.join(HERE, "log_runner.py")
MAX_BYTES = 256 * 1024  # getLogs' largest page
MB = 1024  # kB


def logs_call(daemon, job_id, **query):
    start = time.perf_counter()
    body = daemon.logs(job_id, urllib.parse.urlencode(dict(phase="build", **query)))
    return time.perf_counter() - start, body


def hwm_growth_kb(daemon, fn):
    """(fn's value, VmHWM growth in kB over fn). Without clear_refs, the growth above the peak so far."""
    reset = reset_hwm(daemon.pid)
    before = proc_status_kb(daemon.pid, "VmRSS" if reset else "VmHWM")
    value = fn()
    return value, proc_status_kb(daemon.pid, "VmHWM") - before


def tail_calls(daemon, job_id, calls):
    times = []
    for _ in range(calls):
        took, body = logs_call(daemon, job_id, mode="tail", tail_lines=200, max_bytes=MAX_BYTES)
        check(len(body["lines"]) == 200, f"tail gave {len(body['lines'])} lines, truncated={body.get('truncated')}")
        check("phase_end" in body["lines"][-1] or "end" in body["lines"][-1], f"last line: {body['lines'][-1]}")
        times.append(took)
    return times


def whole_log(daemon, job_id):
    """Pages from the start to the end: (seconds, lines, pages)."""
    start = time.perf_counter()
    cursor, lines, pages = "", 0, 0
    while True:
        _, body = logs_call(daemon, job_id, mode="range", limit_lines=2000, max_bytes=MAX_BYTES, cursor=cursor)
        lines += len(body["lines"])
        pages += 1
        if not body["next_cursor"] or body["next_cursor"] == cursor:
            break
        cursor = body["next_cursor"]
    return time.perf_counter() - start, lines, pages


def bench(report, executor, size_mb, calls):
    work = WorkDir(f"logs-{executor}")
    sim = daemon = None
    try:
        if executor == "nomad":
            cache = work.sub("cache")
            shutil.chown(cache, "build")
            sim = NomadSim(work, host_volumes=[("nbs-cache", cache)])
        daemon = Daemon(work, LOG_RUNNER, executor=executor, sim=sim)
        config = fake_job("logs")
        config["build_args"]["BENCH_LOG_MB"] = str(size_mb)
        job_id = daemon.submit(config)
        body = daemon.wait_final(job_id, timeout=600)
        check(body["status"] == "SUCCEEDED", f"the log job: {body}")
        first, _ = logs_call(daemon, job_id, mode="tail", tail_lines=200, max_bytes=MAX_BYTES)
        times, tail_growth = hwm_growth_kb(daemon, lambda: tail_calls(daemon, job_id, calls))
        (whole_s, lines, pages), whole_growth = hwm_growth_kb(daemon, lambda: whole_log(daemon, job_id))
        check(lines > size_mb * 1000, f"the whole log had only {lines} lines")
        where = "local executor" if executor == "local" else "Nomad executor (nomad-sim)"
        tail_ms = median(times) * 1000
        report.figure(f"getLogs tail 200 lines of {size_mb} MB, {where}", tail_ms, " ms", baseline=whole_s * 1000,
                      baseline_name="reading the whole log", target="<= 50 ms", ok=tail_ms <= 50)
        report.note(f"tail: first call {first * 1000:.1f} ms, median of {calls} {tail_ms:.1f} ms, "
                    f"p90 {percentile(times, 90) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms; whole log: "
                    f"{lines} lines in {pages} pages, {whole_s:.2f} s")
        report.figure(f"nbs-mcpd peak RSS growth during the tails, {where}", tail_growth / MB, " MB",
                      baseline=whole_growth / MB, baseline_name="reading the whole log", target="<= 8 MB",
                      ok=tail_growth <= 8 * MB)
        report.note(f"VmRSS now {proc_status_kb(daemon.pid, 'VmRSS') / MB:.1f} MB")
    finally:
        if daemon:
            daemon.stop()
        if sim:
            sim.stop()
        work.remove()


def main(quick):
    size_mb, calls = (5, 3) if quick else (100, 20)
    ensure_build_user()
    report = Report(quick)
    for executor in ("local", "nomad"):
        bench(report, executor, size_mb, calls)
    return report.finish()


if __name__ == "__main__":
    run_main(main)
