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

  // An isError result is its text: the code, then one "field: reason" line per field.
  const failed = await client.callTool({ name: 'submitJob', arguments: { owner: 'me' } });
  assert.equal(failed.isError, true, `${label}: isError`);
  assert.equal(failed.structuredContent, undefined, `${label}: isError without structuredContent`);
  assert.equal(
    failed.content[0].text,
    'invalid_argument\nrepo_url: is required\nimage_name: is required\nregistry_url: is required',
    `${label}: field errors`,
  );

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
