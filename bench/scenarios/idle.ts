/**
 * 10,000 idle keep-alive connections: each opened, one request answered, then held open.
 * Reports resident memory per worker (the largest worker; VmRSS while the connections are
 * held), the whole tree, and the growth per connection over the idle proxy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProxySpec, RunningProxy } from '../proxies/types';
import { Collector, ScenarioResult } from '../lib/results';
import { startProcess, stopProcess } from '../lib/processes';
import { rssKb } from '../lib/procstat';
import { sleep } from '../lib/net';
import { RuntimeScenarioInput } from './common';

const CLIENT = path.join(__dirname, '..', 'load', 'idle-connections.js');

async function waitForReady(logFile: string, timeoutMs: number): Promise<{ open: number; failed: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /READY (\d+) (\d+)/.exec(fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    if (m) return { open: Number(m[1]), failed: Number(m[2]) };
    await sleep(200);
  }
  throw new Error(`idle connections not all answered within ${timeoutMs} ms (see ${logFile})`);
}

export async function runIdleConnections(o: RuntimeScenarioInput & { proxies: ProxySpec[]; workerCounts: number[]; connections: number }): Promise<ScenarioResult> {
  const c = new Collector();
  const id = 'idle-10k';
  for (const workers of o.workerCounts) {
    for (const spec of o.proxies) {
      const dir = path.join(o.dir, `idle-${spec.id}-w${workers}`);
      fs.mkdirSync(dir, { recursive: true });
      let proxy: RunningProxy | null = null;
      try {
        proxy = await spec.start({ workers, dir, cpus: o.proxyCpus(workers), backend: o.backend, tls: o.tls });
        const sum = (pids: number[]) => pids.reduce((s, p) => s + rssKb(p), 0) / 1024;
        const before = sum(proxy.pids());
        const logFile = path.join(dir, 'idle-client.log');
        const client = startProcess({ name: 'idle-client', command: process.execPath,
          args: [CLIENT, proxy.address, String(new URL(proxy.httpUrl('/')).port), String(o.connections)], logFile, cpus: o.loadCpus });
        try {
          const { open, failed } = await waitForReady(logFile, 120000);
          await sleep(1000); // let lazily freed buffers settle the same way for every proxy
          const workerRss = proxy.workerPids().map(rssKb).map((k) => k / 1024);
          const total = sum(proxy.pids());
          c.add(id, workers, spec.id, 0, {
            openConnections: open, errors: failed,
            rssPerWorkerMiB: Math.max(...workerRss), totalRssMiB: total,
            kibPerConnection: open > 0 ? ((total - before) * 1024) / open : NaN,
          });
          o.log(`  idle w${workers} ${spec.id.padEnd(10)} ${open} open, ${failed} failed, RSS/worker ${Math.max(...workerRss).toFixed(0)} MiB, total ${total.toFixed(0)} MiB`);
        } finally {
          await stopProcess(client);
        }
      } catch (err) {
        c.fail(id, workers, spec.id, `failed: ${(err as Error).message.slice(0, 200)}`);
        o.log(`  idle ${spec.id}: ${(err as Error).message}`);
      } finally {
        if (proxy) await proxy.stop();
      }
    }
  }
  return {
    id, title: '10,000 idle keep-alive connections', status: 'ok',
    columns: ['openConnections', 'rssPerWorkerMiB', 'totalRssMiB', 'kibPerConnection', 'errors'],
    rows: c.reduce(id, 'nginx'),
    notes: ['RSS/worker: VmRSS of the largest worker while all connections are held (HAProxy: its one process). KiB/conn: growth of the whole tree over the idle proxy, per connection. Single measurement (memory is not noisy).'],
  };
}
