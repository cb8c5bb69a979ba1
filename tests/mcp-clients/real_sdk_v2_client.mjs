// The official TypeScript SDK v2 client (dual-era) against the real nbs-mcpd: a real build on the local
// executor, progress, paged logs and a kill (real_scenario.mjs).
// Usage: node real_sdk_v2_client.mjs <tag> <auto|legacy|modern> http <url> | ... stdio <nbs-mcpd> [args...]
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import assert from 'node:assert/strict';
import { fail, runScenario } from './real_scenario.mjs';

const [tag, negotiation, mode, ...rest] = process.argv.slice(2);
const modeOption = negotiation === 'modern' ? { pin: '2026-07-28' } : negotiation;
try {
  const client = new Client({ name: 'nbs-real-sdk-v2', version: '1.0.0' }, { versionNegotiation: { mode: modeOption } });
  const transport =
    mode === 'http'
      ? new StreamableHTTPClientTransport(new URL(rest[0]))
      : new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: { ...process.env }, stderr: 'inherit' });
  await client.connect(transport);
  const version = client.getNegotiatedProtocolVersion();
  assert.equal(version, negotiation === 'legacy' ? '2025-11-25' : '2026-07-28', `negotiated version (${negotiation})`);
  // SDK v2.4.0 drops progress notifications over stdio in the modern era (ref/mcp.md §2.2): no oracle there.
  const expectProgress = !(mode === 'stdio' && version === '2026-07-28');
  await runScenario(client, { sdk: 'v2', label: `sdk-v2 ${negotiation} ${mode} (${version})`, tag, expectProgress });
  await client.close();
} catch (e) {
  fail(e);
}
