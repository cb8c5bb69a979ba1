#!/usr/bin/env python3
"""Writes the frame decoder fuzzer's seeds (corpus/frame_decoder_fuzzer/) from real framed
/v1/client/fs/logs bodies sent by nomad-sim: plain output, stderr, origin/offset, rotation across files,
binary data, and followed streams with heartbeats, a truncation and a deleted file. Each seed is the
fuzzer's two setting bytes (see frame_decoder_fuzzer.cpp) followed by the body.

Usage: frame_seeds.py NOMAD_SIM OUT_DIR   (the followed streams take about ten seconds)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# Setting bytes per seed (piece size; cap / start offset / failing callback), so that the seeds start
# in different corners of the decoder.
SETTINGS = {
    "hello_stdout": b"\x07\x00",
    "hello_stderr": b"\x01\x04",
    "origin_end_offset6": b"\x40\x00",
    "origin_start_offset6": b"\x05\x04",
    "rotation_4_files": b"\x00\x00",
    "rotation_origin_end_700": b"\x11\x02",
    "binary_data": b"\x03\x00",
    "follow_heartbeats_truncation": b"\x09\x20",
    "follow_rotation_deleted": b"\xff\x00",
}


def until(what, predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    sys.exit("frame_seeds: timed out waiting for " + what)


class Sim:
    def __init__(self, binary, data_dir):
        self.process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--log-max-size", "1000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        addr_file = os.path.join(data_dir, "nomad-sim.addr")
        until("nomad-sim to listen", lambda: os.path.exists(addr_file) and os.path.getsize(addr_file) > 0)
        with open(addr_file) as f:
            self.host, port = f.read().strip().rsplit(":", 1)
        self.port = int(port)

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        url = "http://%s:%d%s" % (self.host, self.port, path)
        with urllib.request.urlopen(urllib.request.Request(url, method=method, data=data), timeout=30) as r:
            return r.read()

    def run(self, job_id, argv, max_files=10):
        """Registers a one-task raw_exec batch job and returns its allocation's id."""
        task = {"Name": "t", "Driver": "raw_exec", "Config": {"command": argv[0], "args": argv[1:]},
                "KillTimeout": 2000000000, "LogConfig": {"MaxFiles": max_files, "MaxFileSizeMB": 1}}
        group = {"Name": "g", "Count": 1, "RestartPolicy": {"Attempts": 0, "Mode": "fail"},
                 "ReschedulePolicy": {"Attempts": 0, "Unlimited": False}, "Tasks": [task]}
        self.request("PUT", "/v1/jobs", {"Job": {"ID": job_id, "Type": "batch", "TaskGroups": [group]}})
        allocs = until("an allocation of " + job_id,
                       lambda: json.loads(self.request("GET", "/v1/job/" + job_id + "/allocations")))
        return allocs[0]["ID"]

    def wait(self, alloc, states):
        until("allocation " + alloc + " in " + "/".join(states),
              lambda: json.loads(self.request("GET", "/v1/allocation/" + alloc))["ClientStatus"] in states)

    def logs(self, alloc, query):
        return self.request("GET", "/v1/client/fs/logs/" + alloc + "?task=t&" + query)

    def follow(self, alloc, query, seconds):
        """The framed body of a followed stream read for `seconds`, then cut as a client that stops does."""
        s = socket.create_connection((self.host, self.port))
        s.sendall(("GET /v1/client/fs/logs/%s?task=t&%s HTTP/1.1\r\nHost: sim\r\n\r\n" % (alloc, query)).encode())
        s.settimeout(0.2)
        raw = b""
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            raw += chunk
        s.close()
        body = raw.partition(b"\r\n\r\n")[2]
        out = b""
        while body:  # undo the chunked transfer encoding; a cut last chunk is dropped
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0 or len(rest) < size:
                break
            out += rest[:size]
            body = rest[size + 2:]
        return out

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def collect(sim):
    seeds = {}
    a = sim.run("pf", ["/bin/sh", "-c", "echo hello; echo world; echo oops >&2"])
    sim.wait(a, ("complete", "failed"))
    seeds["hello_stdout"] = sim.logs(a, "type=stdout")
    seeds["hello_stderr"] = sim.logs(a, "type=stderr")
    seeds["origin_end_offset6"] = sim.logs(a, "type=stdout&origin=end&offset=6")
    seeds["origin_start_offset6"] = sim.logs(a, "type=stdout&offset=6")
    a = sim.run("rot", ["/usr/bin/seq", "1", "400"])
    sim.wait(a, ("complete", "failed"))
    seeds["rotation_4_files"] = sim.logs(a, "type=stdout")
    seeds["rotation_origin_end_700"] = sim.logs(a, "type=stdout&origin=end&offset=700")
    a = sim.run("bin", ["/bin/sh", "-c", "printf '\\000\\001\\377{\"}\\\\ \\342\\202\\254\\n'; head -c 300 /dev/urandom"])
    sim.wait(a, ("complete", "failed"))
    seeds["binary_data"] = sim.logs(a, "type=stdout")
    # Heartbeats, new data, then the task empties its own log file: a "file truncated" frame.
    a = sim.run("follow", ["/bin/sh", "-c",
                           "echo first; sleep 1.5; echo second; sleep 1; : > $NOMAD_ALLOC_DIR/logs/t.stdout.0; "
                           "sleep 1.5; echo after-truncate; sleep 30"])
    sim.wait(a, ("running",))
    seeds["follow_heartbeats_truncation"] = sim.follow(a, "type=stdout&follow=true", 6)
    sim.request("DELETE", "/v1/job/follow")
    # MaxFiles 2 and four files written at once: the file being read is deleted under the stream.
    a = sim.run("keep2", ["/bin/sh", "-c", "echo start; sleep 1.5; seq 1 1000; sleep 30"], 2)
    sim.wait(a, ("running",))
    seeds["follow_rotation_deleted"] = sim.follow(a, "type=stdout&follow=true", 4.5)
    sim.request("DELETE", "/v1/job/keep2")
    return seeds


def main():
    binary, out_dir = sys.argv[1], sys.argv[2]
    data_dir = tempfile.mkdtemp(prefix="frame-seeds-")
    sim = Sim(binary, data_dir)
    try:
        seeds = collect(sim)
    finally:
        sim.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    for event, name in (("file truncated", "follow_heartbeats_truncation"),
                        ("file deleted", "follow_rotation_deleted")):
        if event.encode() not in seeds[name]:
            sys.exit("frame_seeds: no %r frame in %s (the timing missed it): run it again" % (event, name))
    os.makedirs(out_dir, exist_ok=True)
    for name, body in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(SETTINGS[name] + body)
        print(name, len(body))


if __name__ == "__main__":
    main()
