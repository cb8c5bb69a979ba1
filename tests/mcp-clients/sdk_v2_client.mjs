// The official TypeScript SDK v2 client (dual-era) against nbs-mcpd.
// Usage: node sdk_v2_client.mjs <auto|legacy|modern> http <url> | <auto|legacy|modern> stdio <daemon> [args...]
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import assert from 'node:assert/strict';
import { exercise, fail, useV2CallSignature } from './common.mjs';

const [negotiation, mode, ...rest] = process.argv.slice(2);
const modeOption = negotiation === 'modern' ? { pin: '2026-07-28' } : negotiation;
try {
  useV2CallSignature();
  const client = new Client({ name: 'nbs-sdk-v2-test', version: '1.0.0' }, { versionNegotiation: { mode: modeOption } });
  const transport =
    mode === 'http'
      ? new StreamableHTTPClientTransport(new URL(rest[0]))
      : new StdioClientTransport({ command: rest[0], args: rest.slice(1), stderr: 'inherit' });
  await client.connect(transport);
  const version = client.getNegotiatedProtocolVersion();
  const expected = negotiation === 'legacy' ? '2025-11-25' : '2026-07-28';
  assert.equal(version, expected, `negotiated version (${negotiation})`);
  // Over stdio in the modern era SDK v2.4.0 drops progress notifications (ref/mcp.md §2.2): not an oracle.
  const expectProgress = !(mode === 'stdio' && version === '2026-07-28');
  await exercise(client, `sdk-v2 ${negotiation} ${mode} (${version})`, { expectProgress });
  await client.close();
} catch (e) {
  fail(e);
}
