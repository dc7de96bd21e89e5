/**
 * `npm run bench -- --profile [--scenarios ID]`: one HTTP scenario (the headline unless
 * --scenarios names another, e.g. https-handshakes or http-new-connection) against this
 * runtime (1 worker) under `node --cpu-prof`, then a self-time summary of the worker's
 * profile, written to bench/results/profile.md and printed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { albRuntime, RUNTIME_BUNDLE } from '../proxies/alb-runtime';
import { BackendSet } from '../backends/backend-set';
import { TlsFiles } from '../lib/tls';
import { runWrk } from '../lib/wrk';
import { HTTP_SCENARIOS, HttpScenario } from '../scenarios/http';
import { selfTimes, selfTimeByArea, CpuProfile, LocationMapper, shortLocation } from './cpuprofile';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SourceMap } = require('module') as { SourceMap: new (payload: unknown) => { findEntry(line: number, column: number): { originalSource?: string; originalLine?: number } } };

/** Resolves positions in the runtime bundle to the TypeScript / node_modules file they came from. */
function bundleMapper(): LocationMapper {
  const mapFile = `${RUNTIME_BUNDLE}.map`;
  if (!fs.existsSync(mapFile)) return () => null;
  const map = new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')));
  return (url, line, column) => {
    if (!url.endsWith('alb-runtime.js')) return null;
    const e = map.findEntry(line, column);
    if (!e || !e.originalSource) return null;
    const src = e.originalSource.replace(/^(\.\.\/)+/, '');
    return shortLocation(src, e.originalLine ?? 0);
  };
}

export interface ProfileInput {
  backend: BackendSet; tls: TlsFiles; dir: string; durationSec: number; luaHook: string;
  loadCpus: string; proxyCpus: (w: number) => string; log: (s: string) => void;
  /** The scenario to profile. @default the headline (HTTP_SCENARIOS[0]) */
  scenario?: HttpScenario;
}

export async function runProfile(o: ProfileInput): Promise<string> {
  const reason = albRuntime.unavailable();
  if (reason !== null) throw new Error(`--profile needs the runtime: ${reason}`);
  const profDir = path.join(o.dir, 'cpuprof');
  fs.mkdirSync(profDir, { recursive: true });
  const s = o.scenario ?? HTTP_SCENARIOS[0];
  const proxy = await albRuntime.start({ workers: 1, dir: o.dir, cpus: o.proxyCpus(1), backend: o.backend, tls: o.tls,
    nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  let rps = 0;
  try {
    const load = { url: s.https ? proxy.httpsUrl(s.path) : proxy.httpUrl(s.path), connections: s.connections, threads: 1,
      luaHook: o.luaHook, cpus: o.loadCpus, headers: s.headers };
    await runWrk({ ...load, durationSec: 1 });
    const w = await runWrk({ ...load, durationSec: o.durationSec });
    rps = w.requestsPerSec;
    o.log(`  profile: ${rps.toFixed(0)} req/s under --cpu-prof`);
  } finally {
    await proxy.stop();
  }
  const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    throw new Error(`no .cpuprofile written in ${profDir}: the runtime's processes must exit normally on SIGTERM for --cpu-prof to write one`);
  }
  const mapper = bundleMapper();
  // The worker is the profile with the most non-idle samples.
  const profiles = files.map((f) => {
    const p = JSON.parse(fs.readFileSync(path.join(profDir, f), 'utf8')) as CpuProfile;
    const st = selfTimes(p, mapper);
    const busy = st.entries.filter((e) => e.name !== '(idle)').reduce((a, e) => a + e.selfMs, 0);
    return { f, st, busy };
  }).sort((a, b) => b.busy - a.busy);
  const top = profiles[0];
  const lines = [
    `## CPU profile of ${s.id} (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`, '',
    `alb-runtime, 1 worker, wrk -c ${s.connections} ${s.https ? 'https' : 'http'} ${s.path}${s.headers.map((h) => ` -H '${h}'`).join('')} for ${o.durationSec}s: ${rps.toFixed(0)} ${s.unit} under --cpu-prof ` +
      `(profiling slows it). Worker profile ${top.f}: ${top.st.totalMs.toFixed(0)} ms sampled, ${top.busy.toFixed(0)} ms busy.`, '',
    '| self % | self ms | function | location |', '|---|---|---|---|',
    ...top.st.entries.slice(0, 30).map((e) => `| ${e.selfPct.toFixed(1)} | ${e.selfMs.toFixed(0)} | \`${e.name}\` | ${e.location} |`),
    '', '| area | self % |', '|---|---|',
    ...selfTimeByArea(top.st.entries).slice(0, 15).map((a) => `| ${a.area} | ${a.pct.toFixed(1)} |`), '',
  ];
  const md = lines.join('\n');
  const out = path.join(__dirname, '..', 'results', 'profile.md');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, md);
  return md;
}
