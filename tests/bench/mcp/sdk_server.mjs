// The peer a user would otherwise write: a minimal MCP server on the official TypeScript SDK
// (@modelcontextprotocol/sdk, v1, from tests/mcp-clients/node_modules) exposing one tool, getStatus,
// with nbs-mcpd's shape: the same input schema, the same outputSchema, and the same answer (a text
// block "Job <id>: <STATUS>\n<json>" plus the record as structuredContent). Stateless Streamable HTTP
// with JSON answers, one server and transport per POST, as the SDK's stateless example does.
//
// Usage: node sdk_server.mjs <port file> [record.json]
//   Listens on 127.0.0.1 with a free port and writes the port to <port file>. record.json is the job
//   record getStatus answers (by default a finished job like nbs-mcpd's).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The SDK and zod live in tests/mcp-clients/node_modules (the repository's one npm project).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'mcp-clients', 'package.json'));
const { McpServer } = await import(require.resolve('@modelcontextprotocol/sdk/server/mcp.js'));
const { StreamableHTTPServerTransport } = await import(
  require.resolve('@modelcontextprotocol/sdk/server/streamableHttp.js'));
const { z } = await import(require.resolve('zod'));

const [portFile, recordFile] = process.argv.slice(2);
if (!portFile) {
  console.error('usage: node sdk_server.mjs <port file> [record.json]');
  process.exit(2);
}
const defaultRecord = {
  job_id: '16637e10-6f3d-4df0-8464-f07ab8fe8591', status: 'SUCCEEDED', phase: 'build', owner: 'b',
  git_ref: 'main',
  times: { job_start: '2026-11-27T02:09:36.210Z', build_start: '2026-11-27T02:09:36.214Z',
    build_end: '2026-11-27T02:09:36.420Z', test_start: null, test_end: null, publish_start: null,
    publish_end: null, job_end: '2026-11-27T02:09:36.420Z' },
  next_step: 'Done: the image is published under every reference in images.',
  digest: 'sha256:feed', image_size: 42,
  images: ['reg.example:5000/a/b:16637e10-6f3d-4df0-8464-f07ab8fe8591'],
};
const record = recordFile ? JSON.parse(readFileSync(recordFile, 'utf8')) : defaultRecord;
const jobs = new Map([[record.job_id, record]]);

// nbs-mcpd's outputSchema is anyOf(status, error); the SDK takes one object shape and skips it for
// isError results, which is where nbs-mcpd's error branch applies.
const statusShape = {
  job_id: z.string(), status: z.string(), phase: z.string().nullable().optional(),
  excerpt: z.array(z.string()).optional(), images: z.array(z.string()).optional(),
};

function makeServer() {
  const server = new McpServer({ name: 'sdk-bench-server', version: '0.0.1' });
  server.registerTool('getStatus', {
    title: 'Status of a job',
    description: "Returns a job's status, the current phase and phase timestamps.",
    inputSchema: {
      job_id: z.string().describe('The job id submitJob returned (a UUID).'),
      wait_seconds: z.number().int().min(0).max(45).default(0)
        .describe('Wait up to this long for the status to change before answering.'),
    },
    outputSchema: statusShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ job_id: jobId }) => {
    const job = jobs.get(jobId);
    if (!job) {
      const error = { error: `job_id: job ${jobId} not found`, code: 'not_found', details: [] };
      return { content: [{ type: 'text', text: JSON.stringify(error) }], structuredContent: error, isError: true };
    }
    return {
      content: [{ type: 'text', text: `Job ${job.job_id}: ${job.status}\n${JSON.stringify(job)}` }],
      structuredContent: job,
    };
  });
  return server;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const httpServer = http.createServer(async (req, res) => {
  if (req.url !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST' }).end();
    return;
  }
  try {
    const body = JSON.parse(await readBody(req));
    const server = makeServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch (e) {
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: String(e) }, id: null }));
    }
  }
});
httpServer.keepAliveTimeout = 60_000;
httpServer.listen(0, '127.0.0.1', () => {
  writeFileSync(portFile, String(httpServer.address().port));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => httpServer.close(() => process.exit(0)));
}
