// Shared checks for the SDK client scripts: each one connects, lists tools, calls tools (with progress),
// checks an isError result, and reports failures through the exit code.
import assert from 'node:assert/strict';

export const EXPECTED_TOOLS = ['echo', 'submitJob', 'getStatus', 'getLogs', 'slow'];

export async function exercise(client, label, { expectProgress }) {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), EXPECTED_TOOLS, `${label}: tool list`);
  assert.equal(tools.find((t) => t.name === 'getStatus').annotations.readOnlyHint, true);

  const echo = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  assert.deepEqual(echo.structuredContent, { text: 'hello' }, `${label}: echo structuredContent`);
  assert.equal(echo.content[0].text, '{"text":"hello"}');

  let progress = 0;
  const status = await callWithProgress(client, { name: 'getStatus', arguments: { job_id: 'j1' } }, () => {
    progress += 1;
  });
  assert.equal(status.structuredContent.status, 'BUILDING', `${label}: getStatus`);
  if (expectProgress) {
    assert.equal(progress, 3, `${label}: progress notifications`);
  }

  const failed = await client.callTool({ name: 'submitJob', arguments: { owner: 'me' } });
  assert.equal(failed.isError, true, `${label}: isError`);
  const fields = failed.structuredContent.details.map((d) => d.field);
  assert.deepEqual(fields, ['repo_url', 'image_name', 'registry_url'], `${label}: field errors`);
  for (const field of fields) {
    assert.ok(failed.content[0].text.includes(`${field}: is required`), `${label}: text names ${field}`);
  }

  let unknownRejected = false;
  try {
    await client.callTool({ name: 'noSuchTool', arguments: {} });
  } catch (e) {
    unknownRejected = true;
  }
  assert.ok(unknownRejected, `${label}: unknown tool is a protocol error`);
  console.log(`ok ${label}: ${tools.length} tools, progress ${progress}`);
}

// SDK v1 takes request options as the third argument, v2 as the second.
let callWithProgress = async (client, params, onprogress) => client.callTool(params, undefined, { onprogress });
export function useV2CallSignature() {
  callWithProgress = async (client, params, onprogress) => client.callTool(params, { onprogress });
}

export function fail(e) {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
}
