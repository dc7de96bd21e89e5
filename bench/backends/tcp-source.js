'use strict';
// TCP source for the L4 scenarios. Protocol: the client sends the number of bytes it wants as
// an ASCII decimal line ("1048576\n"); the source writes that many bytes and closes. Plain
// JavaScript (no ts-node) so the process is small and starts fast.
// Usage: node tcp-source.js HOST PORT
const net = require('net');

const [host, portText] = process.argv.slice(2);
const CHUNK = Buffer.alloc(256 * 1024, 0x61);
const MAX_BYTES = 4 * 1024 ** 3;

const server = net.createServer((sock) => {
  let line = '';
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  sock.on('data', function onData(d) {
    line += d.toString('latin1');
    const nl = line.indexOf('\n');
    if (nl < 0) {
      if (line.length > 32) sock.destroy();
      return;
    }
    sock.removeListener('data', onData);
    const wanted = Number(line.slice(0, nl));
    if (!Number.isInteger(wanted) || wanted < 0 || wanted > MAX_BYTES) { sock.destroy(); return; }
    let left = wanted;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
    };
    pump();
  });
});
server.listen(Number(portText), host, () => process.stdout.write(`tcp-source listening ${host}:${portText}\n`));
process.on('SIGTERM', () => process.exit(0));
