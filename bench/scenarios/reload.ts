/**
 * Config reload time with 1,000 and 10,000 targets: the config file is rewritten (same
 * targets, new LB id, so a new hash), the runtime's primary gets SIGHUP, and the clock runs
 * until the admin /status reports the new file's sha256 (lib/config/hash.ts) — and a
 * request through the listener is answered. Runtime only, 2 workers if asked for, else 1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sha256Hex as sha256 } from '../../lib/config/hash';
import { albRuntime, albAdminUrl } from '../proxies/alb-runtime';
import { albConfig } from '../proxies/alb-config';
import { RunningProxy } from '../proxies/types';
import { Collector, ScenarioResult } from '../lib/results';
import { httpGet, sleep } from '../lib/net';
import { startProcess, stopProcess } from '../lib/processes';
import { RUNTIME_BUNDLE } from '../proxies/alb-runtime';
import { whenReady, childrenAreWorkers, assertFree } from '../proxies/launch';
import { HTTP_PORT } from '../proxies/types';
import { RuntimeScenarioInput } from './common';


/** True when any string anywhere in the /status document equals the hash. */
function mentions(doc: unknown, hash: string): boolean {
  if (typeof doc === 'string') return doc === hash;
  if (Array.isArray(doc)) return doc.some((d) => mentions(d, hash));
  if (doc !== null && typeof doc === 'object') return Object.values(doc).some((d) => mentions(d, hash));
  return false;
}

async function statusMentions(hash: string): Promise<boolean> {
  try {
    const r = await httpGet(albAdminUrl('/status'), 1000);
    return r.status === 200 && mentions(JSON.parse(r.body.toString('utf8')), hash);
  } catch {
    return false;
  }
}

export async function runReload(o: RuntimeScenarioInput & { targetCounts: number[]; repeats: number }): Promise<ScenarioResult> {
  const id = 'reload';
  const base: ScenarioResult = {
    id, title: 'Config reload (SIGHUP → /status shows the new configHash → request served)', status: 'ok',
    columns: ['targets', 'reloadMs', 'firstRequestMs', 'startMs', 'errors'], rows: [],
    notes: ['reload ms: SIGHUP until /status reports the new sha256; serving ms: SIGHUP until a request through the listener is answered after that; start ms: process start until serving.'],
  };
  if (o.albReason !== null) return { ...base, status: `unavailable: ${o.albReason}` };
  const c = new Collector();
  for (const count of o.targetCounts) {
    const dir = path.join(o.dir, `reload-${count}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'alb-config.json');
    const doc = (generation: number) => JSON.stringify(albConfig({
      httpTargets: o.backend.targets, httpTargetCount: count, tcpSource: o.backend.tcpSource, tls: o.tls,
      algorithm: 'WRR', generation,
    }));
    await assertFree({ host: albRuntime.address, port: HTTP_PORT }, 'alb (reload)');
    let text = doc(0);
    fs.writeFileSync(file, text);
    const t0 = Date.now();
    const proc = startProcess({ name: 'alb-reload', command: process.execPath, cpus: o.proxyCpus(1), logFile: path.join(dir, 'alb.log'),
      args: [RUNTIME_BUNDLE, 'run', '--config', file, '--bind', albRuntime.address, '--workers', '1', '--access-log', 'off'] });
    try {
      const proxy: RunningProxy = await whenReady(proc, { id: 'alb', address: albRuntime.address, withTcp: true, workersOf: childrenAreWorkers, readyTimeoutMs: 60000 });
      const startMs = Date.now() - t0;
      if (!(await statusMentions(sha256(text)))) {
        return { ...base, status: `unavailable: the runtime's /status (${albAdminUrl('/status')}) does not report the sha256 of the config file it serves, so a reload cannot be observed` };
      }
      for (let rep = 0; rep < o.repeats; rep++) {
        text = doc(rep + 1);
        const hash = sha256(text);
        fs.writeFileSync(file, text);
        const start = process.hrtime.bigint();
        process.kill(proc.child.pid!, 'SIGHUP');
        let reloadMs = NaN;
        const deadline = Date.now() + 30000;
        while (Date.now() < deadline) {
          if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
            throw new Error(`the runtime exited on SIGHUP (${proc.child.exitCode ?? proc.child.signalCode}); see ${path.join(dir, 'alb.log')}`);
          }
          if (await statusMentions(hash)) { reloadMs = Number(process.hrtime.bigint() - start) / 1e6; break; }
          await sleep(2);
        }
        if (!Number.isFinite(reloadMs)) throw new Error(`/status did not show the new configHash within 30 s of SIGHUP (${count} targets)`);
        const r = await httpGet(proxy.httpUrl('/small'), 5000);
        const firstRequestMs = Number(process.hrtime.bigint() - start) / 1e6;
        c.add(id, 1, `alb ${count} targets`, rep, { targets: count, reloadMs, firstRequestMs, startMs, errors: r.status === 200 ? 0 : 1 });
        o.log(`  reload ${count} targets: ${reloadMs.toFixed(1)} ms (serving after ${firstRequestMs.toFixed(1)} ms)`);
        await sleep(500);
      }
    } catch (err) {
      c.fail(id, 1, `alb ${count} targets`, `failed: ${(err as Error).message.slice(0, 300)}`);
      o.log(`  reload ${count}: ${(err as Error).message}`);
    } finally {
      await stopProcess(proc);
    }
  }
  return { ...base, rows: c.reduce(id, null) };
}
