"""Profiling aid for measure 8 (not a benchmark): runs one build-only job of the fake runner on the Nomad
executor with a logging proxy between nbs-mcpd and nomad-sim, and prints every Nomad API request of the job
in order (seconds since submit, duration, method, status, the X-Nomad-Index answered, path, and the start
of a write's body).
Usage: tests/bench/daemon/nomad_trace.py [build seconds, default 10] [--poll] [--bodies]
  --poll: a client waits on getStatus (wait_seconds=30) meanwhile, as agents are told to.
  --bodies: print each write's whole body (to see what a second write of the same record changes).
Binaries from the environment, as the benchmarks: NBS_MCPD, NBS_NOMAD_SIM, FAKE_RUNNER."""
import http.client
import http.server
import shutil
import socket
import socketserver
import sys
import threading
import time

from benchlib import Daemon, NomadSim, WorkDir, binary, ensure_build_user, fake_job
from nomad_watch_bench import finished_total, wait_finished


class Recorder:
    def __init__(self):
        self.t0 = time.time()
        self.entries = []
        self.lock = threading.Lock()

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)


def start_proxy(upstream, recorder):
    host, port = upstream.removeprefix("http://").rsplit(":", 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            # Without it, Nagle and delayed ACKs add 40 ms to every proxied request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def forward(self):
            try:
                self.forward_once()
            except (OSError, http.client.HTTPException):
                self.close_connection = True  # nomad-sim stopped under a blocking query: the end of the trace

        def forward_once(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            start = time.time()
            conn = http.client.HTTPConnection(host, int(port), timeout=400)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "host", "content-length")}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            recorder.add((start - recorder.t0, time.time() - start, self.command, self.path, resp.status,
                          resp.getheader("X-Nomad-Index") or "-", (body or b"").decode(errors="replace")))
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_PUT = do_POST = do_DELETE = forward

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main():
    seconds = float(next((a for a in sys.argv[1:] if not a.startswith("--")), "10"))
    poll = "--poll" in sys.argv
    body_chars = None if "--bodies" in sys.argv else 100
    ensure_build_user()
    work = WorkDir("nomad-trace")
    cache = work.sub("cache")
    shutil.chown(cache, "build")
    sim = NomadSim(work, host_volumes=[("nbs-cache", cache)])
    recorder = Recorder()
    server, url = start_proxy(sim.addr, recorder)
    daemon = Daemon(work, binary("FAKE_RUNNER"), executor="nomad", sim=type("Proxy", (), {"addr": url}))
    try:
        daemon.submit(fake_job("warm-up", sleep_ms=100))
        wait_finished(daemon, 1, 60)
        time.sleep(1)
        with recorder.lock:
            recorder.entries.clear()
            recorder.t0 = time.time()
        job_id = daemon.submit(fake_job("traced", sleep_ms=int(seconds * 1000)))
        if poll:
            daemon.wait_final(job_id, timeout=seconds + 120)
        else:
            wait_finished(daemon, 2, seconds + 120)
        time.sleep(1)
        entries = sorted(recorder.entries)
        print(f"job {job_id}: {len(entries)} Nomad requests (a blocking query in flight at submit is listed "
              "with a negative start)")
        print("   start      took method status index path body")
        for start, took, method, path, status, index, body in entries:
            print(f"{start:8.4f} {took * 1000:8.1f} ms {method:6} {status} {index:>5} {path[:110]} "
                  f"{body[:body_chars] if method != 'GET' else ''}")
    finally:
        daemon.stop()
        server.shutdown()
        sim.stop()
        work.remove()


if __name__ == "__main__":
    main()
