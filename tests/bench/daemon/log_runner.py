#!/usr/bin/python3
"""Stands in for nbs-runner in the getLogs benchmark: `<phase> --spec FILE ...` writes phase-log events
(common/phase_log's JSON lines, Buildah-like text) on stdout until the job's build_args BENCH_LOG_MB
megabytes (10^6 bytes) are written, then the result file at spec.result_path, as
tests/unit/testutil/fake_runner does. /usr/bin/python3 on purpose: tasks run as the build user with a
minimal PATH."""
import json
import sys


def main():
    phase = sys.argv[1]
    spec = json.load(open(sys.argv[sys.argv.index("--spec") + 1]))
    target = int(float(spec["request"].get("build_args", {}).get("BENCH_LOG_MB", "0")) * 1_000_000)
    job = spec["job_id"]
    out = sys.stdout
    head = f'{{"ts":"2026-11-27T00:00:00.000Z","job":"{job}","phase":"{phase}","seq":'
    out.write(head + f'0,"kind":"phase_start","text":"log_runner {target} bytes"}}\n')
    written, seq, chunk = 0, 1, []
    while written < target:
        n = seq
        stream = "err" if n % 7 == 0 else "out"
        text = (f"[{n % 12 + 1}/12] compiling src/module_{n % 9973:04d}/unit_{n:07d}.c -> "
                f"obj/module_{n % 9973:04d}/unit_{n:07d}.o (-O2 -g -Wall -Wextra) ok")
        line = head + f'{seq},"kind":"line","stream":"{stream}","text":"{text}"}}\n'
        chunk.append(line)
        written += len(line)
        seq += 1
        if len(chunk) >= 5000:
            out.write("".join(chunk))
            chunk = []
    out.write("".join(chunk))
    with open(spec["result_path"], "w") as f:
        f.write('{"digest":"sha256:feed","size":42}')
    out.write(head + f'{seq},"kind":"result","text":"pushed 1 tag(s)","digest":"sha256:feed"}}\n')
    out.write(head + f'{seq + 1},"kind":"phase_end","text":"ok","exit_code":0,"duration_ms":1}}\n')
    out.flush()


if __name__ == "__main__":
    main()
