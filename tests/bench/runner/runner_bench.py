"""nbs-runner measures, each printed as a ratio against a baseline taken in the same run:
  1. publish by registry-side copy (nbs-runner publish: mounts + manifest PUT) vs buildah pull + tag + push
     (what the old system did) for an image of at least 100 MB;
  2. warm build (layer cache and Git mirror reused) vs cold build (empty cache dir);
  3. Git mirror fetch after a one-file change vs a fresh clone into a new mirror.
`--quick` uses a 10 MB image and one run each, so CI can run it in seconds. Not a timed test: it only
fails when something it measures fails."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration", "runner"))
from harness import Fixture, check  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(samples):
    return statistics.median(samples)


def report(name, value, baseline, unit="s"):
    print(f"{name}: {value:.3f}{unit} vs baseline {baseline:.3f}{unit}, ratio {value / baseline:.3f}", flush=True)


def build(fx, spec):
    run = fx.run("build", spec)
    check(run.code == 0, run.describe())
    return run


def bench_publish(fx, size_mb, runs):
    fx.make_repo("bigpub", {"Dockerfile": f"FROM {fx.base}\n"
                            f"RUN head -c {size_mb * 1000000} /dev/urandom > /big.bin\nRUN echo second > /s\n"})
    spec = fx.spec("bigpub", tests=True)
    build(fx, spec)
    copy_times, pull_push_times = [], []
    for i in range(runs):
        pub = dict(spec, phase="publish", final_images=[f"{fx.registry}/bench/copy{i}:v1"],
                   result_path=os.path.join(spec["work_dir"], f"pub{i}.json"))
        for key in ("cache_dir", "build_user", "storage_driver"):
            pub.pop(key)
        # The temp tag is deleted by each publish: put it back (outside the timing) from the layer cache.
        copy_times.append(timed(lambda: check(fx.run("publish", pub).code == 0, "publish failed")))
        build(fx, dict(spec, work_dir=spec["work_dir"]))
        store = os.path.join(fx.dir, f"pp-store-{i}")
        os.makedirs(store)
        shutil.chown(store, "build")
        env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={store}", f"CONTAINERS_REGISTRIES_CONF={fx.registries_conf}"]
        base = ["runuser", "-u", "build", "--", *env, "buildah", "--root", f"{store}/root", "--runroot",
                f"{store}/run", "--storage-driver", "vfs"]
        dst = f"{fx.registry}/bench/pullpush{i}:v1"

        def pull_push():
            subprocess.run([*base, "pull", "-q", spec["temp_image"]], check=True, capture_output=True)
            subprocess.run([*base, "tag", spec["temp_image"], dst], check=True, capture_output=True)
            subprocess.run([*base, "push", "-q", dst, f"docker://{dst}"], check=True, capture_output=True)

        pull_push_times.append(timed(pull_push))
        subprocess.run(["runuser", "-u", "build", "--", "buildah", "unshare", "rm", "-rf", store], capture_output=True)
    report(f"publish {size_mb} MB image: registry-side copy vs buildah pull+push (vfs)",
           median(copy_times), median(pull_push_times))


def bench_builds(fx, runs):
    df = (f"FROM {fx.base}\nRUN head -c 20000000 /dev/urandom > /data.bin\nRUN sleep 1 && echo slow-step\n"
          "COPY app.txt /app.txt\nRUN cat /app.txt\n")
    fx.make_repo("warm", {"Dockerfile": df, "app.txt": "v1\n"})
    cold, warm = [], []
    for i in range(runs):
        spec = fx.spec("warm", tags=())
        spec["cache_dir"] = os.path.join(fx.dir, f"cold-cache-{i}")
        os.makedirs(spec["cache_dir"], mode=0o755)
        cold.append(timed(lambda: build(fx, spec)))
        warm.append(timed(lambda: build(fx, dict(spec, work_dir=spec["work_dir"]))))
        subprocess.run(["runuser", "-u", "build", "--", "buildah", "unshare", "rm", "-rf",
                        os.path.join(spec["cache_dir"], "storage")], capture_output=True)
    report("build: warm (layer cache + mirror) vs cold", median(warm), median(cold))


def fetch_ms(run):
    for text in run.texts():
        if text.startswith("git: ") and "duration_ms=" in text:
            return int(text.rsplit("duration_ms=", 1)[1]) / 1000
    raise AssertionError("no fetch line")


def bench_fetch(fx, files, runs):
    content = {f"src/file{i}.txt": ("line %d\n" % i) * 200 for i in range(files)}
    content["Dockerfile"] = f"FROM {fx.base}\n"
    src = fx.make_repo("fetch", content)
    fresh, incremental = [], []
    for i in range(runs):
        spec = fx.spec("fetch", tags=())
        spec["cache_dir"] = os.path.join(fx.dir, f"fetch-cache-{i}")
        os.makedirs(spec["cache_dir"], mode=0o755)
        fresh.append(fetch_ms(build(fx, spec)))
        fx.commit(src, {"src/file0.txt": f"changed {i}\n"}, "one-file change")
        fx.push(src, "main")
        incremental.append(fetch_ms(build(fx, dict(spec, work_dir=spec["work_dir"]))))
        subprocess.run(["runuser", "-u", "build", "--", "buildah", "unshare", "rm", "-rf",
                        os.path.join(spec["cache_dir"], "storage")], capture_output=True)
    report(f"git: mirror fetch after a one-file change vs fresh clone ({files} files)",
           median(incremental), median(fresh))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each (seconds)")
    args = parser.parse_args()
    size_mb, runs, files = (10, 1, 200) if args.quick else (120, 3, 3000)
    fx = Fixture("bench")
    try:
        fx.start()
        bench_publish(fx, size_mb, runs)
        bench_builds(fx, runs)
        bench_fetch(fx, files, runs)
    finally:
        fx.stop()


if __name__ == "__main__":
    main()
