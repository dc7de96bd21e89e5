/**
 * `npm run bench [-- --quick | --profile | options]`: this runtime beside nginx, HAProxy,
 * @fastify/http-proxy and http-proxy on the same machine, in one run. See docs/benchmarks.md.
 *
 * CPU split on the 2-core machine (taskset): the load generator (wrk, 1 thread / the Node TCP
 * client) and the backend set (nginx, 1 worker; the TCP source) share CPU 1; a proxy with one
 * worker gets CPU 0 to itself; with two workers it runs on both CPUs and competes with the
 * load generator for CPU 1 — as every proxy does, so the comparison stays fair.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installCleanupHooks, stopAll } from './lib/processes';
import { parseArgs } from './lib/args';
import { ensureTools, toolVersions, fileLimit } from './lib/install';
import { makeCertificate } from './lib/tls';
import { writeLuaHook } from './lib/wrk';
import { startBackendSet, BACKEND_HOST, BACKEND_PORTS, SMALL_BODY } from './backends/backend-set';
import { ScenarioResult } from './lib/results';
import { reportMarkdown } from './lib/report';
import { targetStandings, targetsMarkdown } from './lib/targets';
import { ProxySpec } from './proxies/types';
import { albRuntime } from './proxies/alb-runtime';
import { nginxProxy } from './proxies/nginx';
import { haproxyProxy } from './proxies/haproxy';
import { fastifyProxy, httpProxyPeer } from './proxies/node-peers';
import { runComparison } from './scenarios/compare';
import { HTTP_SCENARIOS } from './scenarios/http';
import { TCP_SCENARIOS } from './scenarios/tcp';
import { runAlgorithmCost } from './scenarios/algorithms';
import { runUrlMapCost } from './scenarios/url-map';
import { runIdleConnections } from './scenarios/idle';
import { runReload } from './scenarios/reload';
import { runSynth } from './scenarios/synth';
import { runProfile } from './profile/profile';

const LOAD_CPUS = '1';
const proxyCpus = (workers: number): string => (workers === 1 ? '0' : '0-1');
const ROOT = path.join(__dirname, '..');

function log(s: string): void { process.stderr.write(`${s}\n`); }

async function main(): Promise<void> {
  installCleanupHooks();
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  ensureTools(log);
  const limit = fileLimit();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-bench-'));
  log(`bench: scratch ${dir}; open-files limit ${limit.soft}/${limit.hard}`);
  const tls = makeCertificate(dir);
  const luaHook = writeLuaHook(dir);
  const all: ProxySpec[] = [albRuntime, nginxProxy, haproxyProxy, fastifyProxy, httpProxyPeer];
  const selected = all.filter((p) => args.proxies === null || args.proxies.includes(p.id) || p.id === 'nginx');
  const proxyStatus = selected.map((p) => ({ id: p.id, label: p.label, status: p.unavailable() ?? 'ok' }));
  const usable = selected.filter((p) => p.unavailable() === null);
  for (const p of proxyStatus) if (p.status !== 'ok') log(`bench: ${p.id} unavailable: ${p.status}`);
  const wants = (id: string, quickDefault: boolean): boolean =>
    args.scenarios !== null ? args.scenarios.some((s) => id === s || id.startsWith(`${s}-`) || id.startsWith(s)) : (!args.quick || quickDefault);

  const backend = await startBackendSet(dir, LOAD_CPUS);
  const scenarios: ScenarioResult[] = [];
  try {
    if (args.profile) {
      const scenario = HTTP_SCENARIOS.find((sc) => args.scenarios?.includes(sc.id)) ?? HTTP_SCENARIOS[0];
      const summary = await runProfile({ backend, tls, dir, durationSec: Math.max(args.durationSec, 5), luaHook, loadCpus: LOAD_CPUS, proxyCpus, log, scenario });
      process.stdout.write(summary);
      return;
    }
    const httpScenarios = HTTP_SCENARIOS.filter((s) => wants(s.id, s.id === 'http-small-keepalive'));
    const tcpScenarios = TCP_SCENARIOS.filter((s) => wants(s.id, s.id === 'tcp-1m'));
    log(`bench: comparison — ${usable.map((p) => p.id).join(', ')}; workers ${args.workerCounts.join(',')}; ` +
      `${args.repeats} repeat(s) × ${args.durationSec}s (+${args.warmupSec}s warm-up; ${args.startWarmupSec}s of load after each proxy start)`);
    scenarios.push(...await runComparison({
      proxies: usable, backend, tls, dir, repeats: args.repeats, workerCounts: args.workerCounts,
      durationSec: args.durationSec, warmupSec: args.warmupSec, startWarmupSec: args.startWarmupSec, luaHook,
      loadCpus: LOAD_CPUS, proxyCpus, httpScenarios, tcpScenarios, log,
    }));
    const albReason = albRuntime.unavailable();
    const common = { backend, tls, dir, luaHook, loadCpus: LOAD_CPUS, proxyCpus, log, albReason };
    if (wants('algorithm-cost', false)) {
      scenarios.push(await runAlgorithmCost({ ...common, repeats: args.repeats, durationSec: args.durationSec, warmupSec: args.warmupSec }));
    }
    if (wants('url-map-cost', false)) {
      scenarios.push(await runUrlMapCost({ ...common, repeats: args.repeats, durationSec: args.durationSec, warmupSec: args.warmupSec }));
    }
    if (wants('idle-10k', false)) {
      scenarios.push(await runIdleConnections({ ...common, proxies: usable, workerCounts: args.workerCounts, connections: 10000 }));
    }
    if (wants('reload', true)) {
      scenarios.push(await runReload({ ...common, targetCounts: args.quick ? [1000] : [1000, 10000], repeats: args.quick ? 1 : 3 }));
    }
    if (wants('synth', false)) {
      scenarios.push(await runSynth({ root: ROOT, lbCounts: [1, 10, 100], log }));
    }
  } finally {
    await backend.stop();
    await stopAll();
  }

  const machine = {
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024), kernel: os.release(), ...toolVersions(),
    /** 1-minute load average at start and end: other work on the machine makes figures noisy. */
    loadAverage1m: { start: Math.round(loadAtStart * 100) / 100, end: Math.round(os.loadavg()[0] * 100) / 100 },
  };
  const settings = {
    mode: args.quick ? 'quick' : 'full', durationSec: args.durationSec, warmupSec: args.warmupSec, startWarmupSec: args.startWarmupSec,
    repeats: args.repeats, workerCounts: args.workerCounts, openFilesLimit: limit.soft,
    cpuSplit: { loadGeneratorAndBackend: `CPU ${LOAD_CPUS}`, proxy1Worker: `CPU ${proxyCpus(1)}`, proxy2Workers: `CPUs ${proxyCpus(2)}` },
    backend: { server: 'nginx, 1 worker', address: BACKEND_HOST, ports: BACKEND_PORTS, smallBodyBytes: SMALL_BODY.length },
    wrk: { threads: 1, timeoutSec: 5 },
  };
  const result = {
    schema: 'cdktf-alb-bench/1',
    generatedAt: new Date().toISOString(),
    elapsedSec: Math.round((Date.now() - started) / 1000),
    machine, settings, proxies: proxyStatus,
    targets: targetStandings(scenarios, args.workerCounts),
    scenarios,
  };
  const out = args.out ?? path.join(ROOT, 'bench', 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  // Keep the scratch directory (configs, proxy logs) when something failed, for diagnosis.
  const anyFailure = scenarios.some((sc) => sc.status !== 'ok' || sc.rows.some((r) => r.note));
  if (anyFailure) log(`bench: some measurements failed; configs and logs kept in ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  const preamble = [
    `${result.generatedAt.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpus} cores (${machine.cpuModel}) · node ${machine.node} · ` +
      `nginx ${machine.nginx} · HAProxy ${machine.haproxy} · wrk ${machine.wrk} · mode ${settings.mode}, median of ${args.repeats}, ` +
      `${args.durationSec}s per run (after ${args.warmupSec}s warm-up; ${args.startWarmupSec}s of load after each proxy start) · ${result.elapsedSec}s total · load average ${machine.loadAverage1m.start} → ${machine.loadAverage1m.end}`,
    '',
    `CPU split: wrk + backend nginx on CPU ${LOAD_CPUS}; proxy on CPU 0 (1 worker) or CPUs 0-1 (2 workers). ` +
      'CPU % = proxy CPU time / wall time (100 = one core). Peak RSS = VmHWM summed over the proxy\'s processes. ' +
      'Foreign CPU % = CPU used meanwhile by processes outside the benchmark (other work on the machine; 0 on a quiet one).',
    ...proxyStatus.filter((p) => p.status !== 'ok').map((p) => `- ${p.id}: unavailable — ${p.status}`),
  ];
  process.stdout.write(reportMarkdown('Benchmark results', preamble, scenarios));
  process.stdout.write(targetsMarkdown(result.targets));
  log(`bench: wrote ${path.relative(process.cwd(), out)} in ${result.elapsedSec}s`);
}

main().then(() => process.exit(0), async (err) => {
  log(`bench: ${(err as Error).stack ?? err}`);
  await stopAll();
  process.exit(1);
});
