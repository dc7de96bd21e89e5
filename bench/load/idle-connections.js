'use strict';
// Opens COUNT keep-alive connections to HOST:PORT, sends one request on each and reads the
// answer, then holds them all idle. Prints "READY <open> <failed>" once every connection
// answered (or failed), and exits on SIGTERM (or after 15 minutes at the latest).
// Usage: node idle-connections.js HOST PORT COUNT
const net = require('net');

const [host, port, countText] = process.argv.slice(2);
const COUNT = Number(countText);
const PARALLEL_OPENS = 200;
// A connection the proxy does not answer within this time counts as failed (e.g. beyond
// HAProxy's maxconn it waits in the accept queue forever).
const ANSWER_TIMEOUT_MS = 15000;
const request = Buffer.from(`GET /small HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
const sockets = [];
let opened = 0;
let answered = 0;
let failed = 0;

function report() {
  if (answered + failed === COUNT) process.stdout.write(`READY ${answered} ${failed}\n`);
}

function openOne() {
  if (opened >= COUNT) return;
  opened++;
  let done = false;
  const s = net.connect(Number(port), host, () => s.write(request));
  sockets.push(s);
  const timer = setTimeout(() => { if (!done) { done = true; failed++; report(); openOne(); } }, ANSWER_TIMEOUT_MS);
  s.on('data', (d) => {
    if (!done && d.includes('\r\n\r\n')) { done = true; clearTimeout(timer); answered++; report(); openOne(); }
  });
  s.on('error', () => { if (!done) { done = true; failed++; report(); openOne(); } });
  s.on('close', () => { if (!done) { done = true; failed++; report(); openOne(); } });
}

for (let i = 0; i < PARALLEL_OPENS; i++) openOne();
process.on('SIGTERM', () => process.exit(0));
// The harness stops this process; the hard limit only guards against a harness that died.
setTimeout(() => process.exit(0), 15 * 60 * 1000);
