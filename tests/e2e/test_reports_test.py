"""Test reports (`test.reports`, issue 16 item 5) through nbs-mcpd on either executor, with real podman.

The test image runs as USER 1000 and its test writes a JUnit report (2 tests, 1 failure), a text file, a
file over the 1 MiB per-file cap and one whose name holds quotes and $(...) into /out, then exits 1; two
paths do not exist (one is what the odd name would create if anything ran it). getStatus must
summarise the JUnit counts and the first failure within the 2 KiB a failing answer may take, getArtifacts
(MCP tool and its REST mirror) must list the six with their statuses and page the text, and no container
of the job may be left, after the test ends and after a kill alike. The same answers on Nomad
(`--executor nomad`, nomad-sim running the test in real podman), where the test task's wrapper copies
the reports into the allocation directory and the executor reads them with the client fs API; there a
job with reports and the entry-point test is refused at submit, naming test.reports. After a kill the
local executor still has the copies; on Nomad the stop ends the task before its wrapper copies, and
every path is listed as an error saying so."""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from daemon_test import DaemonFixture, harness  # noqa: E402
from harness import check  # noqa: E402

DOCKERFILE = ("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
              "RUN mkdir -p /out && chown 1000:1000 /out\n"
              "USER 1000\nWORKDIR /out\n")

JUNIT = ('<testsuite name="app" tests="2" failures="1">'
         '<testcase classname="app" name="good"/>'
         '<testcase classname="app" name="bad"><failure message="boom">expected 1 got 2</failure></testcase>'
         '</testsuite>')

BIG = 1_200_000  # over the 1 MiB kept of one file
# A name that a shell would expand: it must be copied as it is, and nothing in it run (/out/pwned, in the
# WORKDIR, stays missing, and is asked for after it).
ODD = "/out/odd 'name' $(touch pwned).txt"
REPORTS = ["/out/junit.xml", "/out/notes.txt", "/out/big.log", "/out/nope.xml", ODD, "/out/pwned"]


def report_job(f, command):
    return f.job("reports", test={"commands": [command], "reports": REPORTS})


def test_reports_are_collected_summarised_and_paged(f):
    command = (f"printf '%s' '{JUNIT}' > /out/junit.xml && echo 'plain text report' > /out/notes.txt && "
               f"head -c {BIG} /dev/zero | tr '\\0' x > /out/big.log && "
               "echo odd > \"/out/odd 'name' \\$(touch pwned).txt\" && id -u && exit 1")
    job_id = f.submit(report_job(f, command))
    final = f.wait_final(job_id)
    check(final["status"] == "FAILED" and final.get("failed_phase") == "test", final)
    reports = final.get("reports")
    check(reports == {"files": 6, "problems": 3, "tests": 2, "failures": 1, "errors": 0, "skipped": 0,
                      "first_failure": "app.bad", "message": "boom"}, f"getStatus reports: {final}")
    size = len(json.dumps(final, separators=(",", ":")).encode())
    check(size <= 2048, f"getStatus of a failed test with reports is {size} bytes: {final}")

    status, listed = f.call("GET", f"/mcp/job/{job_id}/artifacts")
    check(status == 200, f"GET artifacts answered {status}: {listed}")
    by_path = {x["path"]: x for x in listed["files"]}
    check(sorted(by_path) == sorted(REPORTS), listed)
    check(all(x["task"] == "cmd-0" for x in listed["files"]), listed)
    junit = by_path["/out/junit.xml"]
    check(junit["status"] == "ok" and junit["junit"]["tests"] == 2 and junit["junit"]["failures"] == 1 and
          junit["junit"]["first_failure"] == "app.bad" and junit["junit"]["message"] == "boom", junit)
    check(by_path["/out/notes.txt"]["status"] == "ok" and "junit" not in by_path["/out/notes.txt"], listed)
    big = by_path["/out/big.log"]
    check(big["status"] == "truncated" and big["size"] == BIG and big["kept"] == 1 << 20, big)
    check(by_path["/out/nope.xml"]["status"] == "missing", listed)
    check(by_path[ODD]["status"] == "ok" and by_path[ODD]["size"] == 4, listed)
    check(by_path["/out/pwned"]["status"] == "missing", listed)

    status, page = f.call("POST", "/mcp/getArtifacts", {"job_id": job_id, "path": "/out/notes.txt"})
    check(status == 200 and page["text"] == "plain text report\n" and page["next_cursor"] == "", page)
    status, page = f.call("GET", f"/mcp/job/{job_id}/artifacts?path=/out/big.log")
    check(status == 200 and page["text"] == "x" * 32768 and page["next_cursor"] == "32768", str(page)[:300])
    status, last = f.call("GET", f"/mcp/job/{job_id}/artifacts?path=cmd-0:/out/big.log&cursor={(1 << 20) - 10}")
    check(status == 200 and last["text"] == "x" * 10 and last["next_cursor"] == "", str(last)[:300])
    status, missing = f.call("POST", "/mcp/getArtifacts", {"job_id": job_id, "path": "/out/nope.xml"})
    check(status == 404 and "missing" in json.dumps(missing), f"{status}: {missing}")
    f.check_nothing_left(job_id)


def test_a_killed_test_leaves_no_container(f):
    job_id = f.submit(report_job(f, "echo started > /out/notes.txt && sleep 600"))
    f.wait_status(job_id, ["TESTING"])
    # The container must exist before the kill, or the case proves nothing.
    end = time.time() + 120
    while time.time() < end and not f.test_containers(job_id):
        time.sleep(0.5)
    check(f.test_containers(job_id), "the test container never ran")
    status, body = f.call("POST", "/mcp/killJob", {"job_id": job_id})
    check(status == 200, f"killJob answered {status}: {body}")
    final = f.wait_final(job_id)
    check(final["status"] == "KILLED", final)
    f.check_nothing_left(job_id)
    status, listed = f.call("GET", f"/mcp/job/{job_id}/artifacts")
    check(status == 200 and isinstance(listed.get("files"), list), f"{status}: {listed}")
    by_path = {x["path"]: x for x in listed["files"]}
    if f.executor == "local":
        # The supervisor copies out of the stopped container.
        check(by_path.get("/out/notes.txt", {}).get("status") == "ok", listed)
    else:
        # The stop ends the task before its wrapper copies anything: every path says so.
        check(sorted(by_path) == sorted(REPORTS) and
              all(x["status"] == "error" and "stopped" in x["message"] for x in listed["files"]), listed)


def test_nomad_refuses_reports_of_the_entry_point_test(f):
    f.check_refused_at_submit([
        (f.job("reports", test={"entry_point": True, "reports": REPORTS}), "test.reports"),
        (f.job("reports", test={"commands": ["true"], "reports": ["/out/${NOMAD_TASK_NAME}.xml"]}),
         "test.reports[0]"),
    ])


class ReportsFixture(DaemonFixture):
    def start(self):
        super().start()
        self.make_repo("reports", {"Dockerfile": DOCKERFILE})
        return self


if __name__ == "__main__":
    ReportsFixture.executor = sys.argv[sys.argv.index("--executor") + 1] if "--executor" in sys.argv else "local"
    cases = [test_reports_are_collected_summarised_and_paged, test_a_killed_test_leaves_no_container]
    if ReportsFixture.executor == "nomad":
        cases.append(test_nomad_refuses_reports_of_the_entry_point_test)
    harness.main(f"e2e-test-reports-{ReportsFixture.executor}", cases, fixture_class=ReportsFixture)
