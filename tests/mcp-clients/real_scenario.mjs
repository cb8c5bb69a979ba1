// What an agent does with the real nbs-mcpd (local executor, real Buildah, registry and Git), through an
// official SDK client: list the tools, submit a real build, wait for it with getStatus wait_seconds
// (with progress), page its logs with getLogs mode=range, check the published image, then submit a job
// whose test sleeps, wait until TESTING and kill it. The environment comes from run_real_clients.py:
// NBS_TEST_GIT_URL, NBS_TEST_REGISTRY, NBS_TEST_BASE_IMAGE.
import assert from 'node:assert/strict';

export const TOOL_NAMES = ['submitJob', 'getStatus', 'getLogs', 'killJob', 'cleanup', 'getHistory', 'purgeFailedJob', 'getArtifacts'];
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'KILLED']);
const JOB_FIELDS = ['owner', 'repo_url', 'git_ref', 'image_name', 'image_tags', 'registry_url', 'build_args', 'target',
  'dockerfile_path', 'test'];

function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through run_real_clients.py)`);
  return value;
}

// SDK v1 takes request options as the third argument of callTool, v2 as the second.
export function callerFor(sdk) {
  return (client, name, args, onprogress) => {
    const options = onprogress ? { onprogress, timeout: 120_000, resetTimeoutOnProgress: true } : { timeout: 120_000 };
    return sdk === 'v1' ? client.callTool({ name, arguments: args }, undefined, options)
      : client.callTool({ name, arguments: args }, options);
  };
}

function log(label, text) {
  console.log(`[${new Date().toISOString()}] ${label}: ${text}`);
}

// The structuredContent of a successful call; fails with the error text otherwise.
function ok(result, what) {
  assert.notEqual(result.isError, true, `${what}: ${result.content?.[0]?.text}`);
  assert.equal(typeof result.structuredContent, 'object', `${what}: structuredContent`);
  return result.structuredContent;
}

async function checkTools(client, label) {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), TOOL_NAMES, `${label}: tool names`);
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  const submit = byName.submitJob.inputSchema;
  assert.equal(submit.type, 'object');
  for (const field of JOB_FIELDS) {
    assert.ok(submit.properties[field], `${label}: submitJob inputSchema has no ${field}`);
  }
  for (const field of ['owner', 'repo_url', 'registry_url']) {
    assert.ok(submit.required.includes(field), `${label}: submitJob requires ${field}`);
  }
  assert.equal(byName.getStatus.inputSchema.properties.wait_seconds.type, 'integer');
  assert.deepEqual(byName.getLogs.inputSchema.properties.mode.enum, ['tail', 'range', 'grep']);
  assert.equal(byName.getStatus.annotations.readOnlyHint, true);
  assert.equal(byName.killJob.annotations.destructiveHint, true);
  for (const tool of tools) {
    assert.equal(tool.outputSchema?.type, 'object', `${label}: ${tool.name} outputSchema`);
    assert.ok(tool.description.length > 40, `${label}: ${tool.name} description`);
  }
}

// Calls getStatus with wait_seconds=30 and a progress callback until `done(status)`; returns the last
// structuredContent, every status seen and the number of progress notifications.
async function waitFor(call, client, jobId, done, label, limitMs) {
  const end = Date.now() + limitMs;
  const seen = [];
  let progress = 0;
  let last;
  while (Date.now() < end) {
    const result = await call(client, 'getStatus', { job_id: jobId, wait_seconds: 30 }, (p) => {
      progress += 1;
      if (progress <= 20) {
        log(label, `progress ${p.progress}: ${p.message ?? ''}`);
      }
    });
    last = ok(result, 'getStatus');
    if (seen.at(-1) !== last.status) {
      seen.push(last.status);
      log(label, `${jobId} ${last.status}`);
    }
    if (done(last.status)) {
      return { status: last, seen, progress };
    }
  }
  assert.fail(`${label}: job ${jobId} did not get there in ${limitMs / 1000} s; last: ${JSON.stringify(last)}`);
}

// Every line of a phase through mode=range, `pageLines` at a time, following next_cursor to the end.
async function readAllLogs(call, client, jobId, phase, pageLines) {
  const lines = [];
  let cursor;
  let pages = 0;
  let total = null;
  for (;;) {
    const args = { job_id: jobId, phase, mode: 'range', limit_lines: pageLines };
    if (cursor !== undefined) {
      args.cursor = cursor;
    }
    const page = ok(await call(client, 'getLogs', args), `getLogs ${phase} page ${pages}`);
    pages += 1;
    assert.ok(Array.isArray(page.lines));
    assert.ok(page.lines.length <= pageLines, `a page has at most limit_lines lines`);
    lines.push(...page.lines);
    total = page.total_lines ?? total;
    if (!page.next_cursor) {
      return { lines, pages, total };
    }
    assert.notEqual(page.next_cursor, cursor, 'next_cursor must move while lines remain');
    cursor = page.next_cursor;
    assert.ok(pages < 1000, 'getLogs paging does not end');
  }
}

async function manifestDigest(ref) {
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  const url = `http://${ref.slice(0, slash)}/v2/${ref.slice(slash + 1, colon)}/manifests/${ref.slice(colon + 1)}`;
  const response = await fetch(url, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return response.status === 200 ? response.headers.get('docker-content-digest') : `HTTP ${response.status}`;
}

async function realBuild(call, client, label, tag, expectProgress) {
  const registry = env('NBS_TEST_REGISTRY');
  const image = `mcp-clients/hello-${tag}`;
  const config = {
    owner: `mcp-${tag}`,
    repo_url: `${env('NBS_TEST_GIT_URL')}/hello-world.git`,
    registry_url: registry,
    image_name: image,
    image_tags: ['v1'],
    build_args: { BASE_IMAGE: env('NBS_TEST_BASE_IMAGE') },
    test: { entry_point: true },
  };
  const submitted = ok(await call(client, 'submitJob', config), 'submitJob');
  assert.match(submitted.job_id, /^[0-9a-f-]{36}$/);
  assert.equal(submitted.status, 'PENDING');
  log(label, `submitted ${submitted.job_id}`);

  const { status, seen, progress } = await waitFor(call, client, submitted.job_id, (s) => FINAL.has(s), label, 900_000);
  assert.equal(status.status, 'SUCCEEDED', `${label}: ${JSON.stringify(status)}`);
  if (expectProgress) {
    assert.ok(progress > 0, `${label}: no progress notification arrived while waiting (statuses ${seen})`);
  }
  assert.match(status.digest, /^sha256:[0-9a-f]{64}$/);
  const expectedImages = [`${registry}/${image}:${submitted.job_id}`, `${registry}/${image}:v1`];
  assert.deepEqual(status.images, expectedImages);
  for (const ref of expectedImages) {
    assert.equal(await manifestDigest(ref), status.digest, `${ref} in the registry`);
  }
  for (const phase of ['build_start', 'build_end', 'test_start', 'test_end', 'publish_start', 'publish_end']) {
    assert.ok(status.times[phase], `${label}: times.${phase}`);
  }

  // The build log, five lines a page, to the end; it must match what tail shows.
  const build = await readAllLogs(call, client, submitted.job_id, 'build', 5);
  assert.ok(build.pages >= 3, `${label}: expected several pages, got ${build.pages}`);
  assert.ok(build.lines.some((l) => l.includes('COPY hello.sh')), `${label}: build log lacks the COPY step`);
  if (build.total !== null) {
    assert.equal(build.lines.length, build.total, `${label}: paged lines vs total_lines`);
  }
  const tail = ok(await call(client, 'getLogs', { job_id: submitted.job_id, phase: 'build', mode: 'tail', tail_lines: 3 }),
    'getLogs tail');
  assert.deepEqual(tail.lines, build.lines.slice(-3), `${label}: tail vs the end of range`);
  const test = await readAllLogs(call, client, submitted.job_id, 'test', 50);
  assert.ok(test.lines.some((l) => l.includes('Hello from the Nomad Build Service!')), `${label}: test output`);
  log(label, `build ok: ${status.digest}, ${build.lines.length} build log lines in ${build.pages} pages, ` +
    `${progress} progress notifications, statuses ${seen.join(' → ')}`);
}

async function killDuringTests(call, client, label, tag) {
  const config = {
    owner: `mcp-${tag}`,
    repo_url: `${env('NBS_TEST_GIT_URL')}/tests-and-args.git`,
    registry_url: env('NBS_TEST_REGISTRY'),
    image_name: `mcp-clients/slow-${tag}`,
    target: 'app',
    build_args: { BASE_IMAGE: env('NBS_TEST_BASE_IMAGE'), GREETING: tag },
    test: { commands: ['sleep 300'] },
  };
  const submitted = ok(await call(client, 'submitJob', config), 'submitJob (slow test)');
  log(label, `submitted ${submitted.job_id} (sleep 300 as its test)`);
  const testing = await waitFor(call, client, submitted.job_id, (s) => s === 'TESTING' || FINAL.has(s), label, 600_000);
  assert.equal(testing.status.status, 'TESTING', `${label}: ${JSON.stringify(testing.status)}`);
  const killed = ok(await call(client, 'killJob', { job_id: submitted.job_id }), 'killJob');
  assert.equal(killed.job_id, submitted.job_id);
  const started = Date.now();
  const final = await waitFor(call, client, submitted.job_id, (s) => FINAL.has(s), label, 180_000);
  assert.equal(final.status.status, 'KILLED', `${label}: ${JSON.stringify(final.status)}`);
  log(label, `killed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function toolErrors(call, client, label) {
  const invalid = await call(client, 'submitJob', { owner: 'x', repo_url: 'ftp://nowhere/x.git', image_tags: ['bad tag'] });
  assert.equal(invalid.isError, true, `${label}: invalid job`);
  // An isError result is its text: the code, then one "field: reason" line per field.
  const [code, ...lines] = invalid.content[0].text.split('\n');
  assert.equal(code, 'invalid_argument', `${label}: ${invalid.content[0].text}`);
  const fields = lines.map((line) => line.slice(0, line.indexOf(': ')));
  for (const field of ['repo_url', 'image_tags[0]']) {
    assert.ok(fields.includes(field), `${label}: ${field} not named in ${JSON.stringify(fields)}`);
  }
  const unknown = await call(client, 'getStatus', { job_id: '00000000-0000-4000-8000-000000000000' });
  assert.equal(unknown.isError, true, `${label}: unknown job`);
  assert.ok(unknown.content[0].text.startsWith('not_found: '), `${label}: ${unknown.content[0].text}`);
}

// The whole scenario on a connected client. `tag` keeps image names apart between runs.
export async function runScenario(client, { sdk, label, tag, expectProgress }) {
  const call = callerFor(sdk);
  const started = Date.now();
  await checkTools(client, label);
  await toolErrors(call, client, label);
  await realBuild(call, client, label, tag, expectProgress);
  await killDuringTests(call, client, label, tag);
  log(label, `ok in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

export function fail(e) {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
}
