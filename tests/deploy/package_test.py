"""The .deb, in two steps (ctest runs them as package_deb and package_deb_install):

  package_test.py build --build-dir BUILD --out DIR
      cpack -G DEB from the build tree into DIR (a scratch directory; the tree is not touched), then
      dpkg-deb -c/-I/-f/-x: the three binaries (stripped, executable, running), the default
      configuration (a conffile the daemon loads), the systemd unit (systemd-analyze verify when
      systemd-analyze exists), the maintainer scripts (sh -n), and Depends (the shared libraries
      from dpkg-shlibdeps and the tools the phases start).
  package_test.py install --out DIR
      dpkg -i of that package inside the Debian 12 base image (tests/deploy/make-debian-base) with
      rootless podman; apt-get -f install fetches the dependencies from Debian's archive (cached under
      /var/cache/nbs-test/apt); then nbs-mcpd --version, nbs-runner --version, nbs --version, the
      default configuration and the build user are checked in the container.

A missing tool or an unreachable archive fails the test; nothing is skipped."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE_ROOT = os.environ.get("NBS_TEST_CACHE", "/var/cache/nbs-test")
BINARIES = ("nbs-mcpd", "nbs-runner", "nbs", "nbs-task-supervisor")
# Runtime packages the binaries link (dpkg-shlibdeps) and the programs they start.
REQUIRED_DEPENDS = ("libgit2-1.5", "libre2-9", "libpugixml1v5", "libboost-json1.81.0", "libboost-url1.81.0", "libyaml-cpp0.7", "libspdlog1.10-fmt9",
                    "libssl3", "libc6", "libstdc++6", "buildah", "podman", "uidmap", "runc")

passes = 0
failures = []


def check(condition, message):
    global passes
    if condition:
        passes += 1
    else:
        failures.append(message)
        print(f"FAIL {message}", flush=True)


def run(*argv, **kw):
    r = subprocess.run(list(argv), capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"FAIL {' '.join(argv)} exited {r.returncode}:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return r.stdout


def require(*tools):
    for tool in tools:
        if not shutil.which(tool):
            raise SystemExit(f"FAIL required tool missing: {tool}")


def the_deb(out):
    debs = glob.glob(os.path.join(out, "nbs_*.deb"))
    if len(debs) != 1:
        raise SystemExit(f"FAIL expected one nbs_*.deb in {out}, found {debs}")
    return debs[0]


def depends_names(field):
    """'libc6 (>= 2.34), buildah, a | b' → {'libc6', 'buildah', 'a', 'b'}"""
    names = set()
    for alternative in re.split(r"[,|]", field):
        name = alternative.strip().split(" ")[0]
        if name:
            names.add(name)
    return names


def build(build_dir, out):
    require("cpack", "dpkg-deb", "dpkg-shlibdeps", "readelf")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    run("cpack", "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"), "-B", out, cwd=build_dir)
    deb = the_deb(out)
    print(f"built {deb} ({os.path.getsize(deb) / 1e6:.1f} MB)", flush=True)

    listing = run("dpkg-deb", "-c", deb)
    entries = {line.split()[-1].lstrip("."): line.split()[0] for line in listing.splitlines()}
    for b in BINARIES:
        check(entries.get(f"/usr/bin/{b}", "").startswith("-rwxr-xr-x"), f"/usr/bin/{b} missing or not 0755:\n{listing}")
    check("/etc/nbs/nbs-mcpd.yaml" in entries, "/etc/nbs/nbs-mcpd.yaml missing")
    check("/lib/systemd/system/nbs-mcpd.service" in entries, "the systemd unit is missing")
    for doc in ("operator-guide.md", "agent-guide.md", "job-config.md"):
        check(f"/usr/share/doc/nbs/{doc}" in entries, f"/usr/share/doc/nbs/{doc} missing")
    check("/usr/share/doc/nbs/deploy/nomad/nbs-mcpd.nomad.hcl" in entries, "the Nomad job file is not shipped")
    check(not any(p.startswith("/usr/local") for p in entries), "files under /usr/local")

    fields = {k: run("dpkg-deb", "-f", deb, k).strip() for k in ("Package", "Version", "Architecture", "Depends")}
    print(f"Depends: {fields['Depends']}", flush=True)
    check(fields["Package"] == "nbs" and fields["Architecture"] == "amd64", fields)
    names = depends_names(fields["Depends"])
    for dep in REQUIRED_DEPENDS:
        check(dep in names, f"Depends lacks {dep}: {fields['Depends']}")
    for name in names:
        check(subprocess.run(["apt-cache", "show", name], capture_output=True).returncode == 0,
              f"Depends names {name}, which Debian 12 does not have")

    info = run("dpkg-deb", "-I", deb)
    for script in ("conffiles", "postinst", "prerm", "postrm"):
        check(re.search(rf"\s{script}\s", info), f"control member {script} missing:\n{info}")
    with tempfile.TemporaryDirectory() as tmp:
        control = os.path.join(tmp, "control")
        run("dpkg-deb", "-e", deb, control)
        with open(os.path.join(control, "conffiles")) as f:
            check(f.read().split() == ["/etc/nbs/nbs-mcpd.yaml"], "conffiles must list /etc/nbs/nbs-mcpd.yaml")
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, script)
            check(os.access(path, os.X_OK), f"{script} is not executable")
            check(subprocess.run(["sh", "-n", path]).returncode == 0, f"{script}: sh -n fails")

        root = os.path.join(tmp, "root")
        run("dpkg-deb", "-x", deb, root)
        for b in BINARIES:
            path = os.path.join(root, "usr", "bin", b)
            sections = run("readelf", "-S", "-W", path)
            check(".debug_info" not in sections, f"{b} is not stripped")
            version = subprocess.run([path, "--version"], capture_output=True, text=True)
            check(version.returncode == 0 and "0." in version.stdout + version.stderr,
                  f"{b} --version: {version.returncode} {version.stdout} {version.stderr}")
        # The daemon loads the packaged configuration (unknown keys would be errors).
        mcpd = os.path.join(root, "usr", "bin", "nbs-mcpd")
        conf = os.path.join(root, "etc", "nbs", "nbs-mcpd.yaml")
        printed = subprocess.run([mcpd, "--config", conf, "--print-config"], capture_output=True, text=True)
        check(printed.returncode == 0, f"nbs-mcpd rejects /etc/nbs/nbs-mcpd.yaml: {printed.stderr}")
        for key in ("listen", "state_dir", "cache_dir", "build_user", "log_level"):
            check(re.search(rf"^{key}: .*# {re.escape(conf)}:\d+$", printed.stdout, re.M),
                  f"{key} does not come from the packaged file:\n{printed.stdout}")

        unit = os.path.join(root, "lib", "systemd", "system", "nbs-mcpd.service")
        with open(unit) as f:
            text = f.read()
        check("ExecStart=/usr/bin/nbs-mcpd --config /etc/nbs/nbs-mcpd.yaml" in text, "ExecStart of the unit")
        check("KillMode=process" in text, "the unit must leave running phases alone on restart (KillMode=process)")
        if shutil.which("systemd-analyze"):
            # A copy whose ExecStart is the unpacked binary (verify checks that it is executable);
            # any remark about the unit (an unknown key, a bad value) fails the test.
            checked = os.path.join(tmp, "nbs-mcpd.service")
            with open(checked, "w") as f:
                f.write(text.replace("/usr/bin/nbs-mcpd", mcpd))
            r = subprocess.run(["systemd-analyze", "verify", checked], capture_output=True, text=True)
            remarks = [line for line in (r.stdout + r.stderr).splitlines() if "nbs-mcpd" in line]
            check(r.returncode == 0 and not remarks, f"systemd-analyze verify: {r.returncode}\n{r.stdout}{r.stderr}")
        else:
            print("systemd-analyze not installed: the unit's syntax is not verified", flush=True)


def install(out):
    require("podman", "runuser")
    deb = the_deb(out)
    base = run(os.path.join(HERE, "make-debian-base")).strip()
    apt = os.path.join(CACHE_ROOT, "apt")
    for sub in ("archives/partial", "lists/partial"):
        os.makedirs(os.path.join(apt, sub), exist_ok=True)
    subprocess.run(["chown", "-R", "build:build", apt], check=True)  # root in the rootless container
    with tempfile.TemporaryDirectory(prefix="nbs-deb-") as pkg:
        os.chmod(pkg, 0o755)
        shutil.copy(deb, os.path.join(pkg, "nbs.deb"))
        os.chmod(os.path.join(pkg, "nbs.deb"), 0o644)
        script = """
set -eu
export DEBIAN_FRONTEND=noninteractive
apt="-o APT::Sandbox::User=root -o Dpkg::Use-Pty=0 -q"
apt-get $apt update
echo '== dpkg -i'
dpkg -i /pkg/nbs.deb || echo '(dependencies missing: apt-get -f install brings them)'
apt-get $apt install -f -y --no-install-recommends
dpkg-query -W -f='${Package} ${Version} ${Status}\\n' nbs
echo "== versions"
nbs-mcpd --version
nbs-runner --version
nbs --version
nbs-mcpd --config /etc/nbs/nbs-mcpd.yaml --print-config | grep -E '^(listen|build_user):'
echo "== build user"
id build
grep '^build:' /etc/subuid /etc/subgid
test -f /lib/systemd/system/nbs-mcpd.service && echo unit installed
"""
        argv = ["runuser", "-u", "build", "--", "podman", "run", "--rm", "--runtime", "runc", "--network", "host",
                "-v", f"{pkg}:/pkg:ro", "-v", f"{apt}/archives:/var/cache/apt/archives",
                "-v", f"{apt}/lists:/var/lib/apt/lists", f"oci-archive:{base}", "sh", "-c", script]
        r = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp", timeout=1500)
        print(r.stdout[-6000:], flush=True)
        if r.returncode != 0:
            print(r.stderr[-4000:], flush=True)
            check(False, f"installing the package in Debian 12 failed (exit {r.returncode}); apt needs Debian's archive")
            return
        check(re.search(r"^nbs \S+ install ok installed$", r.stdout, re.M), "dpkg does not report nbs installed")
        check(re.search(r"^nbs-mcpd \d+\.\d+\.\d+$", r.stdout, re.M), "nbs-mcpd --version did not run")
        check(re.search(r"^nbs-runner \d+\.\d+\.\d+$", r.stdout, re.M), "nbs-runner --version did not run")
        check("listen: 127.0.0.1:8080  # /etc/nbs/nbs-mcpd.yaml" in r.stdout, "the packaged config is not loaded")
        check("/etc/subuid:build:" in r.stdout and "/etc/subgid:build:" in r.stdout,
              "postinst did not create the build user with subordinate ids")
        check("unit installed" in r.stdout, "the unit is not installed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("build", "install"))
    parser.add_argument("--build-dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.step == "build":
        build(args.build_dir, args.out)
    else:
        install(args.out)
    print(f"{passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
