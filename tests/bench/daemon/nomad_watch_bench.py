"""Measure 8, scale of watching: Nomad API requests per job, counted by nomad-sim (GET/DELETE /sim/stats),
for a build of 10 s and one of 60 s (tests/unit/testutil/fake_runner sleeping, run by raw_exec; build only,
so build pushes straight to the final tags), each
  a. with no client calling (what watching the job costs; completion is read from /metrics, which asks
     Nomad nothing), and
  b. with a client polling getStatus with wait_seconds=30 until the end (what agents are told to do);
then 200 short jobs submitted at once: the daemon's CPU (utime+stime from /proc over wall time, submit of
the first to the end of the last) and requests per job.
The baseline of the 60 s build is the 10 s one. Targets (the issue's, for watching: a.): equal within +-2
requests, <= 15 each; 200 jobs with the daemon below one core. b. is printed against a. as its baseline,
not judged: what it adds is the build progress the client asks for (a log read each time it may have moved).
--quick: 2 s and 4 s builds, 20 short jobs."""
import json
import re
import shutil
import threading
import time
import urllib.request

from benchlib import (CpuMeter, Daemon, NomadSim, Report, WorkDir, binary, check, ensure_build_user, fake_job,
                      run_main)


def finished_total(daemon):
    """Jobs that reached a final status, from /metrics (no Nomad request behind it)."""
    with urllib.request.urlopen(daemon.url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return sum(float(v) for v in re.findall(r"^nbs_jobs_finished_total(?:\{[^}]*\})? (\S+)$", text, re.M))


def wait_finished(daemon, count, timeout):
    end = time.time() + timeout
    while finished_total(daemon) < count and time.time() < end:
        time.sleep(0.1)
    check(finished_total(daemon) >= count, f"only {finished_total(daemon)} of {count} jobs finished in time")


def breakdown(stats):
    return ", ".join(f"{k} {v}" for k, v in sorted(stats["requests"].items(), key=lambda kv: -kv[1]))


def one_job(daemon, sim, branch, sleep_ms, polling):
    """Requests nomad-sim saw from submit until a second after the job's final status."""
    before = finished_total(daemon)
    sim.reset_stats()
    job_id = daemon.submit(fake_job(branch, sleep_ms=sleep_ms))
    if polling:
        body = daemon.wait_final(job_id, timeout=sleep_ms / 1000 + 120)
    else:
        wait_finished(daemon, before + 1, sleep_ms / 1000 + 120)
        body = None
    time.sleep(1.0)  # what the end of a job still costs (lock release, …)
    stats = sim.stats()
    if body is None:
        sim.reset_stats()
        body = daemon.status(job_id)
        stats["total"] += sim.stats()["total"]  # the one status read that tells the caller the outcome
    check(body["status"] == "SUCCEEDED", f"job {job_id}: {body}")
    return stats


def concurrent_jobs(daemon, sim, count, sleep_ms):
    """(daemon cores, wall seconds, requests per job) for `count` jobs submitted at once."""
    before = finished_total(daemon)
    sim.reset_stats()
    meter = CpuMeter(daemon.pid).start()
    ids = []
    submitters = []
    lock = threading.Lock()

    def submit(part):
        for i in part:
            job_id = daemon.submit(fake_job(f"many-{i}", sleep_ms=sleep_ms))
            with lock:
                ids.append(job_id)
    for t in range(4):
        th = threading.Thread(target=submit, args=(range(t, count, 4),))
        th.start()
        submitters.append(th)
    for th in submitters:
        th.join()
    wait_finished(daemon, before + count, 600)
    cores = meter.stop()
    stats = sim.stats()
    failed = [j for j in ids[:20] if daemon.status(j)["status"] != "SUCCEEDED"]
    check(not failed, f"jobs did not succeed: {failed}")
    return cores, meter.wall, meter.cpu, stats


def main(quick):
    short, long_, many, many_ms = (2000, 4000, 20, 1000) if quick else (10_000, 60_000, 200, 2000)
    ensure_build_user()
    report = Report(quick)
    work = WorkDir("nomad-watch")
    sim = daemon = None
    try:
        cache = work.sub("cache")
        shutil.chown(cache, "build")
        sim = NomadSim(work, host_volumes=[("nbs-cache", cache)])
        daemon = Daemon(work, binary("FAKE_RUNNER"), executor="nomad", sim=sim)
        one_job(daemon, sim, "warm-up", 100, polling=False)  # first-use costs (variables, lock paths)

        watched = {}
        for polling, label in ((False, "watch only"), (True, "client polling getStatus wait_seconds=30")):
            counts = {}
            for ms in (short, long_):
                stats = one_job(daemon, sim, f"{'poll' if polling else 'watch'}-{ms}", ms, polling)
                counts[ms] = stats["total"]
                report.note(f"{label}, {ms / 1000:.0f} s build: {breakdown(stats)}")
            for ms in (short, long_):
                if polling:
                    report.figure(f"Nomad requests per job, {label}, {ms / 1000:.0f} s build", counts[ms], "",
                                  baseline=watched[ms], baseline_name="watch only")
                else:
                    report.figure(f"Nomad requests per job, {label}, {ms / 1000:.0f} s build", counts[ms], "",
                                  target="<= 15", ok=counts[ms] <= 15)
            if not polling:
                diff = counts[long_] - counts[short]
                report.figure(f"Nomad requests per job, {label}, {long_ / 1000:.0f} s vs {short / 1000:.0f} s build",
                              counts[long_], "", baseline=counts[short],
                              baseline_name=f"{short / 1000:.0f} s build", target="within +-2", ok=abs(diff) <= 2)
                watched = counts
        alone = watched[short]

        sim_meter = CpuMeter(sim.proc.pid).start()
        cores, wall, cpu, stats = concurrent_jobs(daemon, sim, many, many_ms)
        sim_cores = sim_meter.stop()
        report.figure(f"nbs-mcpd CPU over {many} concurrent {many_ms / 1000:.0f} s jobs", cores, " cores",
                      target="< 1 core", ok=cores < 1.0)
        report.note(f"{cpu:.2f} s CPU over {wall:.1f} s wall; nomad-sim (running the tasks) {sim_cores:.2f} cores")
        report.figure(f"Nomad requests per job, {many} concurrent jobs", stats["total"] / many, "",
                      baseline=float(alone), baseline_name="one job alone, watch only")
        report.note(breakdown(stats))
    finally:
        if daemon:
            daemon.stop()
        if sim:
            sim.stop()
        work.remove()
    return report.finish()


if __name__ == "__main__":
    run_main(main)
