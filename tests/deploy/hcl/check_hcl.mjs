// Parses every deploy/nomad/*.hcl with HashiCorp's own HCL2 parser (hcl2json: the Go hcl library
// compiled to WebAssembly) and checks what the deployment relies on: the daemon job's identity,
// service checks and configuration template (rendered and loaded by the real nbs-mcpd), the client's
// host volume and drivers, the ACL and Vault policies, and the Vault role against what the phase
// specs request. Usage: node check_hcl.mjs <repository root> <nbs-mcpd binary>
import { parse } from "@cdktf/hcl2json";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [root, mcpd] = process.argv.slice(2);
const dir = join(root, "deploy", "nomad");
let failures = 0;
let passes = 0;

function check(condition, message) {
  if (condition) {
    passes++;
  } else {
    failures++;
    console.log(`FAIL ${message}`);
  }
}

// hcl2json wraps every block in a list; one() unwraps the single instance.
const one = (list, what) => {
  check(Array.isArray(list) && list.length === 1, `${what}: expected exactly one block`);
  return Array.isArray(list) ? list[0] ?? {} : {};
};

const parsed = {};
for (const name of readdirSync(dir).filter((f) => f.endsWith(".hcl")).sort()) {
  try {
    parsed[name] = await parse(name, readFileSync(join(dir, name), "utf8"));
    console.log(`ok   ${name} parses as HCL2`);
    passes++;
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${String(e)}`);
  }
}
for (const name of ["nbs-mcpd.nomad.hcl", "client.hcl", "vault-policy.hcl", "nbs-mcpd-acl.hcl"]) {
  check(name in parsed, `${name} is missing or does not parse`);
}

// --- the daemon's service job ---
const variables = {};
for (const [name, blocks] of Object.entries(parsed["nbs-mcpd.nomad.hcl"]?.variable ?? {})) {
  variables[name] = blocks[0].default;
}
const job = one(parsed["nbs-mcpd.nomad.hcl"]?.job?.["nbs-mcpd"], 'job "nbs-mcpd"');
check(job.type === "service", "the daemon's job is a service job");
const group = one(job.group?.["nbs-mcpd"], 'group "nbs-mcpd"');
const service = one(group.service, "service");
check(service.provider === "nomad" && service.name === "nbs-mcpd", "service registered with Nomad as nbs-mcpd");
const checks = service.check ?? [];
const health = checks.find((c) => c.path === "/health");
const ready = checks.find((c) => c.path === "/ready");
check(health && health.type === "http" && health.check_restart, "an http check on /health that restarts the task");
check(ready && ready.type === "http", "an http check on /ready");
check(ready && JSON.stringify(ready.header ?? []).includes("Bearer"), "the /ready check sends a bearer token");
const task = one(group.task?.["nbs-mcpd"], 'task "nbs-mcpd"');
check(one(task.identity, "identity").env === true, "the task's workload identity is in NOMAD_TOKEN (identity { env = true })");
check(String(task.env?.[0]?.NBS_NOMAD_ADDR ?? "").includes(":4646"), "NBS_NOMAD_ADDR points at the agent's HTTP API");
const templates = task.template ?? [];
const configTemplate = templates.find((t) => t.destination === "local/nbs-mcpd.yaml");
check(configTemplate, "a template renders local/nbs-mcpd.yaml");
check(JSON.stringify(one(task.config, "config").args ?? []).includes("nbs-mcpd.yaml"), "the daemon is started with --config");
check(templates.some((t) => String(t.data).includes('nomadVar "nomad/jobs/nbs-mcpd"')),
      "the tokens come from the job's own Nomad variable");

// Render the configuration template as Nomad would and let the real daemon load it.
if (configTemplate) {
  const work = mkdtempSync(join(tmpdir(), "nbs-hcl-"));
  try {
    writeFileSync(join(work, "tokens"), "nomad-check 0123456789abcdef0123456789abcdef\n");
    const env = { NOMAD_ADDR_http: "127.0.0.1:0", NOMAD_SECRETS_DIR: work };
    const rendered = String(configTemplate.data)
      .replace(/\{\{ env "([A-Za-z_]+)" \}\}/g, (_, v) => env[v] ?? "")
      .replace(/\$\{var\.([a-z_]+)\}/g, (_, v) => String(variables[v] ?? ""));
    check(!/\{\{|\$\{/.test(rendered), `the template leaves nothing unrendered:\n${rendered}`);
    writeFileSync(join(work, "nbs-mcpd.yaml"), rendered);
    let printed = "";
    try {
      printed = execFileSync(mcpd, ["--config", join(work, "nbs-mcpd.yaml"), "--print-config"],
                             { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      check(false, `nbs-mcpd rejects the rendered configuration: ${e.stderr || e.message}\n${rendered}`);
    }
    const keys = rendered.split("\n").filter((l) => l.includes(":")).map((l) => l.split(":")[0].trim());
    for (const key of keys) {
      check(new RegExp(`^${key}: .*# ${join(work, "nbs-mcpd.yaml")}`, "m").test(printed),
            `nbs-mcpd takes ${key} from the rendered file`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// --- the client ---
const client = one(parsed["client.hcl"]?.client, "client");
const volume = one(client.host_volume?.["nbs-cache"], 'host_volume "nbs-cache"');
check(volume.path === "/var/cache/nbs" && volume.read_only === false,
      "host volume nbs-cache at /var/cache/nbs (the daemon's cache_dir, which raw_exec uses as is), writable");
const plugins = parsed["client.hcl"]?.plugin ?? {};
check(one(one(plugins.raw_exec, "raw_exec").config, "raw_exec config").enabled === true, "raw_exec is enabled");
for (const driver of ["exec", "docker", "nomad-driver-podman"]) {
  check(driver in plugins, `plugin "${driver}" is configured`);
}
const vault = one(parsed["client.hcl"]?.vault, "vault");
check(vault.enabled === true && vault.jwt_auth_backend_path, "the client logs tasks in to Vault with JWT auth");

// --- Nomad ACL policy of the daemon ---
const ns = one(parsed["nbs-mcpd-acl.hcl"]?.namespace?.default, 'namespace "default"');
for (const cap of ["submit-job", "read-job", "list-jobs", "read-logs", "read-fs"]) {
  check((ns.capabilities ?? []).includes(cap), `the daemon's ACL policy grants ${cap}`);
}
const aclVariables = one(ns.variables, "variables");
const varPath = one(aclVariables.path?.["nomad-build/*"], 'variables path "nomad-build/*"');
for (const cap of ["write", "read", "list", "destroy"]) {
  check((varPath.capabilities ?? []).includes(cap), `the daemon may ${cap} the records under nomad-build/`);
}
const jobVars = one(aclVariables.path?.["nomad/jobs/nbs-*"], 'variables path "nomad/jobs/nbs-*"');
for (const cap of ["write", "list", "destroy"]) {
  check((jobVars.capabilities ?? []).includes(cap), `the daemon may ${cap} the phase jobs' secret build args`);
}

// --- Vault policy and role ---
const paths = parsed["vault-policy.hcl"]?.path ?? {};
check(Object.keys(paths).length >= 3, "the Vault policy names the credential paths");
for (const [path, blocks] of Object.entries(paths)) {
  check(path.startsWith("secret/data/"), `${path} is a KV v2 data path`);
  check(JSON.stringify(blocks[0].capabilities) === JSON.stringify(["read"]), `${path} is read-only`);
}
const role = JSON.parse(readFileSync(join(dir, "vault-role-nbs.json"), "utf8"));
check(role.bound_audiences.includes("vault.io"), "the Vault role accepts the audience the phase specs request (vault.io)");
check(role.token_policies.includes("nbs-builds"), "the Vault role grants the nbs-builds policy");
check(role.bound_claims.nomad_job_id === "nbs-*", "the Vault role admits only phase jobs (nbs-*)");

console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
