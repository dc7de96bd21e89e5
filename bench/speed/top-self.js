#!/usr/bin/env node
// Top self-time functions of a V8 .cpuprofile (node --cpu-prof): `node top-self.js FILE [N]`.
const fs = require('fs');
const prof = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 30);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '')}:${f.lineNumber + 1}` : '(native)';
  const key = `${f.functionName || '(anonymous)'}  ${where}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
console.log(`sampled ${(total / 1000).toFixed(0)} ms, busy ${((total - idle) / 1000).toFixed(0)} ms`);
const busy = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]);
for (const [k, v] of busy.slice(0, top)) {
  console.log(`${(100 * v / (total - idle)).toFixed(1).padStart(5)}% of busy  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}
