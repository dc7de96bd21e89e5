#!/usr/bin/env node
/**
 * The quickstart's application: a tiny HTTP server that says which VM answered.
 * Listens on HOST:PORT (set by the infrastructure for availability-group VMs; defaults
 * 127.0.0.1:8080). GET /healthz answers 200 "ok" for the LB's health checks.
 */
'use strict';
const http = require('http');

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const identity = {
  vm: process.env.VM_NAME || `${host}:${port}`,
  zone: process.env.VM_ZONE || null,
  rack: process.env.VM_RACK || null,
};

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const body = JSON.stringify({ ...identity, address: host, port, method: req.method, path: req.url }) + '\n';
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

server.listen(port, host, () => {
  process.stdout.write(`quickstart app ${identity.vm} listening on ${host}:${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open; do not wait for them forever.
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
