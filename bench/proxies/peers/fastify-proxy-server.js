'use strict';
// @fastify/http-proxy peer: N node:cluster workers, each with an HTTP and an HTTPS fastify
// instance proxying to the backend set in round robin (reply-from's undici Agent keeps
// upstream connections alive). Plain JavaScript so nothing but fastify is loaded.
// Usage: node fastify-proxy-server.js CONFIG_JSON_FILE
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
  const Fastify = require('fastify');
  const proxy = require('@fastify/http-proxy');
  const origins = cfg.targets.map((t) => `http://${t.host}:${t.port}`);
  let next = 0;
  const getUpstream = () => {
    const o = origins[next];
    next = next + 1 === origins.length ? 0 : next + 1;
    return o;
  };
  const build = async (serverOpts, port) => {
    const app = Fastify({ logger: false, ...serverOpts });
    await app.register(proxy, { upstream: '', replyOptions: { getUpstream }, http2: false });
    await app.listen({ host: cfg.address, port, backlog: 4096 });
  };
  Promise.all([
    build({ keepAliveTimeout: 600000 }, cfg.httpPort),
    build({ keepAliveTimeout: 600000, https: { key: fs.readFileSync(cfg.keyFile), cert: fs.readFileSync(cfg.certFile) } }, cfg.httpsPort),
  ]).catch((err) => { console.error(err); process.exit(1); });
}
