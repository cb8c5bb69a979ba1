// The official TypeScript SDK v1 client (legacy eras) against the real nbs-mcpd: a real build on the
// local executor, progress, paged logs and a kill (real_scenario.mjs).
// Usage: node real_sdk_v1_client.mjs <tag> http <url> | <tag> stdio <nbs-mcpd> [args...]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { fail, runScenario } from './real_scenario.mjs';

const [tag, mode, ...rest] = process.argv.slice(2);
try {
  const client = new Client({ name: 'nbs-real-sdk-v1', version: '1.0.0' });
  const transport =
    mode === 'http'
      ? new StreamableHTTPClientTransport(new URL(rest[0]))
      : new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: { ...process.env }, stderr: 'inherit' });
  await client.connect(transport);
  assert.equal(client.getServerVersion().name, 'nbs-mcpd');
  assert.match(client.getInstructions(), /submitJob/);
  await runScenario(client, { sdk: 'v1', label: `sdk-v1 ${mode}`, tag, expectProgress: true });
  if (mode === 'http') {
    await transport.terminateSession();
  }
  await client.close();
} catch (e) {
  fail(e);
}
