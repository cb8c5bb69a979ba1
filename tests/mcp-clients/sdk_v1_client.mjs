// The official TypeScript SDK v1 client (legacy eras) against nbs-mcpd over Streamable HTTP and stdio.
// Usage: node sdk_v1_client.mjs http <url> | stdio <daemon> [args...]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { exercise, fail } from './common.mjs';

const [mode, ...rest] = process.argv.slice(2);
try {
  const client = new Client({ name: 'nbs-sdk-v1-test', version: '1.0.0' });
  const transport =
    mode === 'http'
      ? new StreamableHTTPClientTransport(new URL(rest[0]))
      : new StdioClientTransport({ command: rest[0], args: rest.slice(1), stderr: 'inherit' });
  await client.connect(transport);
  assert.equal(client.getServerVersion().name, 'nbs-mcpd');
  assert.equal(client.getInstructions(), 'Test daemon with fake tools.');
  if (mode === 'http') {
    assert.match(transport.sessionId, /^[0-9a-f]{32}$/, 'session id minted by initialize');
  }
  await client.ping();
  await exercise(client, `sdk-v1 ${mode}`, { expectProgress: true });
  if (mode === 'http') {
    await transport.terminateSession();
  }
  await client.close();
} catch (e) {
  fail(e);
}
