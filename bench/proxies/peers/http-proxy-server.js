'use strict';
// http-proxy (node-http-proxy) peer: N node:cluster workers, an HTTP and an HTTPS server each,
// round robin over the backend set through one keep-alive http.Agent.
// Usage: node http-proxy-server.js CONFIG_JSON_FILE
const cluster = require('cluster');
const fs = require('fs');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

if (cluster.isPrimary) {
  for (let i = 0; i < cfg.workers; i++) cluster.fork();
  const stop = () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const http = require('http');
  const https = require('https');
  const httpProxy = require('http-proxy');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  const proxy = httpProxy.createProxyServer({ agent });
  const targets = cfg.targets.map((t) => `http://${t.host}:${t.port}`);
  let next = 0;
  const handler = (req, res) => {
    const target = targets[next];
    next = next + 1 === targets.length ? 0 : next + 1;
    proxy.web(req, res, { target }, () => {
      if (!res.headersSent) { res.statusCode = 502; }
      res.end();
    });
  };
  const plain = http.createServer({ keepAliveTimeout: 600000 }, handler);
  const tls = https.createServer({ key: fs.readFileSync(cfg.keyFile), cert: fs.readFileSync(cfg.certFile), keepAliveTimeout: 600000 }, handler);
  plain.keepAliveTimeout = 600000;
  tls.keepAliveTimeout = 600000;
  plain.listen(cfg.httpPort, cfg.address, 4096);
  tls.listen(cfg.httpsPort, cfg.address, 4096);
}
