/**
 * Micro-benchmark (not a test): nanoseconds per pick for each scheduling algorithm with 10 and
 * 1000 targets, and per sticky-cookie read / issue.
 *
 *   npx ts-node --transpile-only bench/micro/pick.ts
 *
 * Each case runs in its own child process so the JIT sees only one balancer class (as a worker
 * does: one algorithm per backend) and earlier cases' garbage does not bill later ones. Each
 * figure is the best of five timed runs after a warm-up: the machine is shared, and the minimum
 * is the least disturbed measurement. Every pick is released at once (least connections then
 * always sees a full tie, its slowest case: the smooth-WRR tie-break runs over all peers).
 * Results feed a checksum so the JIT cannot drop the work.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { AlgorithmName } from '../../lib/config/types';
import { createBalancer, createPeers } from '../../runtime/balancer';
import { StickyCookie } from '../../runtime/persistence/cookie';

const ALGORITHMS: AlgorithmName[] = ['WEIGHTED_ROUND_ROBIN', 'WEIGHTED_LEAST_CONNECTIONS', 'SOURCE_IP_HASH'];
const CASES: string[] = [
  'BASELINE_SUM:1000',
  ...[10, 1000].flatMap((n) => ALGORITHMS.map((a) => `${a}:${n}`)),
  'SOURCE_IP_HASH_25_DOWN:10', 'SOURCE_IP_HASH_25_DOWN:1000',
  'COOKIE_READ_VALID', 'COOKIE_READ_ABSENT', 'COOKIE_READ_FORGED', 'COOKIE_ISSUE',
];

function targets(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: `target-${i}`, address: `10.0.${i >> 8}.${i & 255}`, port: 8080, weight: 1 + (i % 10) * 10,
    source: { kind: 'serverGroup' as const, path: 'bench', instance: null },
  }));
}

const IPS = Array.from({ length: 4096 }, (_, i) => `192.168.${(i >> 8) & 255}.${i & 255}`);

function measure(label: string, iterations: number, body: (i: number) => number): void {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 200_000); i++) sink += body(i); // warm-up
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += body(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  console.log(`${label.padEnd(44)} ${best.toFixed(1).padStart(9)} ns/op   (checksum ${sink % 997})`);
}

function runCase(name: string): void {
  const [kind, size] = name.split(':');
  const n = Number(size);
  if (kind === 'BASELINE_SUM') {
    // Machine-speed reference: the cheapest possible O(n) pass (sum of n doubles). Compare the
    // O(n) algorithms against it rather than against absolute figures on a shared box.
    const values = new Float64Array(n).fill(1.5);
    measure(`baseline: sum of ${n} doubles`, 50_000, (i) => {
      let s = i;
      for (let j = 0; j < values.length; j++) s += values[j];
      return s;
    });
    return;
  }
  if (ALGORITHMS.includes(kind as AlgorithmName) || kind === 'SOURCE_IP_HASH_25_DOWN') {
    const algorithm = (kind === 'SOURCE_IP_HASH_25_DOWN' ? 'SOURCE_IP_HASH' : kind) as AlgorithmName;
    const peers = createPeers(targets(n));
    const lb = createBalancer(algorithm, peers);
    if (kind === 'SOURCE_IP_HASH_25_DOWN') {
      for (let i = 0; i < n; i += 4) peers[i].available = false; // a quarter of picks walk on
      lb.availabilityChanged();
    }
    measure(`${kind} pick+release, ${n} targets`, n === 10 ? 1_000_000 : 50_000, (i) => {
      const p = lb.pick(IPS[i & 4095], null)!;
      lb.release(p);
      return p.index;
    });
    return;
  }
  const ids = targets(1000).map((t) => t.id);
  const sticky = new StickyCookie('ab'.repeat(32), 'web', { cookieName: 'ALB_STICKY', cookieTimeoutSeconds: 600 }, ids);
  const now = Date.now();
  const headers = ids.slice(0, 256).map((id) => `_ga=GA1.2.123456789.1700000000; theme=dark; ${sticky.issue(id, now).split(';')[0]}; lang=en`);
  switch (kind) {
    case 'COOKIE_READ_VALID':
      measure('StickyCookie.read (valid, 4-cookie header)', 300_000, (i) => (sticky.read(headers[i & 255], now) === null ? 0 : 1));
      break;
    case 'COOKIE_READ_ABSENT':
      measure('StickyCookie.read (no such cookie)', 1_000_000, () => (sticky.read('_ga=GA1.2.3; theme=dark; lang=en', now) === null ? 1 : 0));
      break;
    case 'COOKIE_READ_FORGED': {
      const forged = headers[0].replace(/ALB_STICKY=(.{39})./, 'ALB_STICKY=$1A');
      measure('StickyCookie.read (forged MAC)', 300_000, () => (sticky.read(forged, now) === null ? 1 : 0));
      break;
    }
    case 'COOKIE_ISSUE':
      measure('StickyCookie.issue', 300_000, (i) => sticky.issue(ids[(i & 1023) % 1000], now).length);
      break;
    default:
      throw new Error(`unknown case ${name}; cases: ${CASES.join(', ')}`);
  }
}

const only = process.env.PICK_BENCH_CASE;
if (only !== undefined) {
  runCase(only);
} else {
  console.log(`node ${process.version}, best of 5 runs per figure, one process per case`);
  for (const name of CASES) {
    const out = execFileSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), __filename], {
      encoding: 'utf8',
      env: { ...process.env, PICK_BENCH_CASE: name, TS_NODE_PROJECT: path.resolve(__dirname, '../../tsconfig.dev.json') },
    });
    process.stdout.write(out);
  }
}
