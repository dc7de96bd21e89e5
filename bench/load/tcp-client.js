'use strict';
// TCP load for the L4 scenarios: asks the source (through a proxy) for SIZE bytes per
// connection, CONCURRENCY connections at a time, until DURATION seconds have passed and at
// least MIN_TRANSFERS transfers completed. Prints one JSON line with bytes and elapsed time.
// Usage: node tcp-client.js HOST PORT SIZE CONCURRENCY DURATION_SEC MIN_TRANSFERS
const net = require('net');

const [host, port, size, concurrency, durationSec, minTransfers] = process.argv.slice(2);
const SIZE = Number(size);
const deadline = Date.now() + Number(durationSec) * 1000;
const HARD_LIMIT_MS = Number(durationSec) * 1000 + 120000;
let bytes = 0;
let transfers = 0;
let failures = 0;
let active = 0;
const started = process.hrtime.bigint();

function finish() {
  const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ bytes, transfers, failures, elapsedSec }) + '\n');
  process.exit(0);
}

function one() {
  active++;
  let got = 0;
  const s = net.connect(Number(port), host, () => s.write(`${SIZE}\n`));
  s.on('data', (d) => { got += d.length; });
  s.on('error', () => { /* counted on close */ });
  s.on('close', () => {
    active--;
    bytes += got;
    if (got === SIZE) transfers++; else failures++;
    if (failures > 50) finish();
    if (Date.now() < deadline || transfers + failures < Number(minTransfers)) one();
    else if (active === 0) finish();
  });
}

for (let i = 0; i < Number(concurrency); i++) one();
setTimeout(finish, HARD_LIMIT_MS).unref();
