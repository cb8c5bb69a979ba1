"""The operator guide's configuration reference against the daemon itself: every option that
`nbs-mcpd --help` lists must have a row in the reference naming its key, its flag and its environment
variable, every key of `--print-config` must be documented, and the documented defaults must be the
daemon's; a documented key the daemon lacks fails too. Usage: config_doc_test.py <nbs-mcpd> <docs/operator-guide.md>"""
import re
import subprocess
import sys


def main(mcpd, doc_path):
    help_text = subprocess.run([mcpd, "--help"], capture_output=True, text=True, check=True).stdout
    printed = subprocess.run([mcpd, "--print-config"], capture_output=True, text=True, check=True).stdout
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    failures = []
    passes = 0

    def check(condition, message):
        nonlocal passes
        if condition:
            passes += 1
        else:
            failures.append(message)

    # Reference rows by their first cell: | `key` | `--flag` | `NBS_KEY` | `default` | … |
    rows = {}
    start = doc.find("## 5. Configuration reference")
    check(start >= 0, f"{doc_path} has no section '## 5. Configuration reference'")
    reference = doc[max(start, 0):]
    for line in reference.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and re.fullmatch(r"`[a-z_]+`", cells[1]):
            rows[cells[1].strip("`")] = line
    # "  --flag TEXT   help [env NBS_X]"; the flags without a key (--help, --config, ...) have no env.
    options = re.findall(r"^\s+(?:-h,)?(--[a-z-]+)(.*)$", help_text, re.M)
    check(len(options) > 10, f"could not read the options from --help:\n{help_text}")
    defaults = dict(re.findall(r"^([a-z_]+): ?(.*?)  # default$", printed, re.M))
    keys = re.findall(r"^([a-z_]+):", printed, re.M)
    # Both lists come from the one key table, in its order: the n-th option with an environment
    # variable is the n-th key.
    keyed = [(flag, re.search(r"\[env (NBS_[A-Z_]+)\]", rest)) for flag, rest in options]
    for flag, env in keyed:
        if not env:
            check(f"`{flag}`" in doc, f"{flag}: not in {doc_path}")
    keyed = [(flag, env) for flag, env in keyed if env]
    check(len(keyed) == len(keys), f"--help has {len(keyed)} keyed options, --print-config {len(keys)} keys")
    for (flag, env), key in zip(keyed, keys):
        row = rows.get(key)
        check(row is not None, f"{key}: no row in the configuration reference of {doc_path}")
        if row is None:
            continue
        check(f"`{flag}`" in row, f"{key}: its row does not name the flag {flag}")
        check(f"`{env.group(1)}`" in row, f"{key}: its row does not name the variable {env.group(1)}")
        default = defaults.get(key, "").strip()
        if default and default != "[]":
            check(f"`{default}`" in row, f"{key}: its row does not give the default `{default}`")
    for key in sorted(set(rows) - set(keys)):
        check(False, f"{key} is documented, but the daemon has no such key")
    for message in failures:
        print(f"FAIL {message}")
    print(f"{passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
