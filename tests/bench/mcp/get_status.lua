-- wrk script: MCP tools/call getStatus (no wait) as one JSON-RPC POST per request on keep-alive
-- connections. Arguments after `--`: <era> <job id>, era "modern" (2026-07-28: protocol version and
-- client capabilities in _meta, Mcp-Method and Mcp-Name headers; what nbs-mcpd is measured with) or
-- "legacy" (2025-11-25, stateless, no session: what the SDK v1 peer speaks).
-- done() prints one line, WRK_RESULT {json}, for the bench script.
local req

function init(args)
  local era, job_id = args[1] or "modern", args[2] or "00000000-0000-4000-8000-000000000000"
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
  }
  local meta = ""
  if era == "modern" then
    headers["MCP-Protocol-Version"] = "2026-07-28"
    headers["Mcp-Method"] = "tools/call"
    headers["Mcp-Name"] = "getStatus"
    meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
           '"io.modelcontextprotocol/clientCapabilities":{},' ..
           '"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"0"}}'
  else
    headers["MCP-Protocol-Version"] = "2025-11-25"
  end
  local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getStatus",' ..
               '"arguments":{"job_id":"' .. job_id .. '"}' .. meta .. '}}'
  req = wrk.format("POST", nil, headers, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
