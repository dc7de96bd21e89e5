/**
 * Where the runtime stands on issue 5's targets, computed from the reduced results. Only
 * what was measured in this run is judged; a target whose scenario did not run says so.
 */
import { ScenarioResult, Row } from './results';

export interface TargetStanding {
  target: string;
  workers: number | null;
  measured: string;
  met: boolean | null;
}

function row(s: ScenarioResult | undefined, proxy: string, workers: number | null): Row | undefined {
  return s?.rows.find((r) => r.proxy === proxy && r.workers === workers);
}

const f2 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));

export function targetStandings(scenarios: ScenarioResult[], workerCounts: number[]): TargetStanding[] {
  const by = (id: string) => scenarios.find((s) => s.id === id && s.status === 'ok');
  const out: TargetStanding[] = [];
  const small = by('http-small-keepalive');
  for (const w of workerCounts) {
    const alb = row(small, 'alb', w);
    if (!alb?.ratio) continue;
    const rps = alb.ratio.rps;
    out.push({ target: 'small keep-alive req/s ≥ 0.6 × nginx', workers: w, measured: `${f2(rps)}×`, met: rps === null ? null : rps >= 0.6 });
    const p99 = alb.ratio.p99Ms;
    out.push({ target: 'small keep-alive p99 ≤ 2 × nginx', workers: w, measured: `${f2(p99)}×`, met: p99 === null ? null : p99 <= 2 });
    for (const [peer, need] of [['http-proxy', 2], ['fastify', 1.2]] as const) {
      const other = row(small, peer, w)?.ratio?.rps;
      const rel = rps !== null && other ? rps / other : null;
      out.push({ target: `small keep-alive req/s ≥ ${need} × ${peer}`, workers: w, measured: `${f2(rel)}×`, met: rel === null ? null : rel >= need });
    }
  }
  const tcp = by('tcp-100m');
  for (const w of workerCounts) {
    const r = row(tcp, 'alb', w)?.ratio?.mibPerSec;
    if (r === undefined) continue;
    out.push({ target: 'TCP 100 MiB throughput ≥ 0.8 × nginx stream', workers: w, measured: `${f2(r)}×`, met: r === null ? null : r >= 0.8 });
  }
  const idle = by('idle-10k');
  for (const w of workerCounts) {
    const r = row(idle, 'alb', w);
    if (!r) continue;
    const v = r.median.rssPerWorkerMiB;
    const all = (r.median.openConnections ?? 0) >= 10000;
    out.push({ target: '10,000 idle connections ≤ 150 MiB RSS per worker', workers: w,
      measured: `${f2(v)} MiB (${r.median.openConnections ?? 0} open)`, met: v === null ? null : v <= 150 && all });
  }
  const reload = by('reload');
  const r10k = reload?.rows.find((r) => r.proxy === 'alb 10000 targets');
  if (r10k) {
    const v = r10k.median.firstRequestMs;
    out.push({ target: 'reload with 10,000 targets ≤ 200 ms until the new config serves', workers: 1,
      measured: `${f2(r10k.median.reloadMs)} ms to /status, ${f2(v)} ms to serving`, met: v === null ? null : v <= 200 });
  }
  return out;
}

export function targetsMarkdown(t: TargetStanding[]): string {
  if (t.length === 0) return '';
  return ['### Issue 5 targets (this run)', '', '| target | workers | measured | met |', '|---|---|---|---|',
    ...t.map((x) => `| ${x.target} | ${x.workers ?? '–'} | ${x.measured} | ${x.met === null ? '–' : x.met ? 'yes' : 'no'} |`), ''].join('\n');
}
