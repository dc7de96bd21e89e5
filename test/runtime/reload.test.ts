/**
 * Hot reload (SIGHUP) of a 2-worker node under continuous load: weights change, a listener is
 * added and removed, an invalid config is refused — and not one request fails.
 */
import { sha256Hex } from '../../lib/config/hash';
import * as fs from 'fs';
import * as http from 'http';
import {
  backend, ensureBundle, get, getJson, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode,
  tempDir, TestBackend, waitFor,
} from './cli-helpers';
import { LbConfig } from '../../lib/config/types';

const ADDR = '127.0.4.3';
const PORT = 18083;
const EXTRA = 18084;
let dir: string;
let file: string;
let a: TestBackend;
let b: TestBackend;
let node: RunningNode;

function configWith(weights: { a: number; b: number }, extra: boolean): LbConfig {
  const listeners = [listener('main', PORT, 'web')];
  if (extra) listeners.push(listener('extra', EXTRA, 'web'));
  return lbConfig(ADDR, listeners, [backend('web', [{ id: 'a', port: a.port, weight: weights.a }, { id: 'b', port: b.port, weight: weights.b }])]);
}

/** Writes the config, SIGHUPs the node and waits for /status to report the outcome. */
async function reload(doc: unknown): Promise<{ ok: boolean; error: string | null }> {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const hash = sha256Hex(text);
  fs.writeFileSync(file, text);
  node.child.kill('SIGHUP');
  const status = await waitFor('reload outcome in /status', async () => {
    const s = await getJson(ADDR, node.adminPort, '/status');
    return s.lastReload?.hash === hash ? s : null;
  }, 20_000, 50);
  return status.lastReload;
}

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('reload');
  a = await startBackend('a');
  b = await startBackend('b');
  file = `${dir}/config.json`;
  fs.writeFileSync(file, JSON.stringify(configWith({ a: 10, b: 10 }, false)));
  node = await startNode(['run', '--config', file, '--bind', ADDR, '--workers', '2', '--access-log', 'off'], { adminHost: ADDR });
});

afterAll(async () => {
  killAllStarted();
  await a?.close();
  await b?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('reloads under continuous load drop no request', async () => {
  let running = true;
  const failures: string[] = [];
  let ok = 0;
  // Half the clients reuse keep-alive connections, half open a new connection per request.
  const loops = Array.from({ length: 6 }, async (_, i) => {
    const agent = i % 2 === 0 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
    while (running) {
      try {
        const r = await get(ADDR, PORT, `/load/${i}`, { agent });
        if (r.status === 200 && (r.body === 'a' || r.body === 'b')) ok++;
        else failures.push(`${r.status} ${r.body}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    agent?.destroy();
  });

  try {
    // 1. Weights: a gets no new traffic.
    expect(await reload(configWith({ a: 0, b: 10 }, false))).toMatchObject({ ok: true, error: null });
    for (let i = 0; i < 20; i++) expect((await get(ADDR, PORT, `/w0/${i}`)).body).toBe('b');

    // 2. A new listener opens and serves.
    expect(await reload(configWith({ a: 10, b: 0 }, true))).toMatchObject({ ok: true });
    for (let i = 0; i < 10; i++) expect((await get(ADDR, EXTRA, `/extra/${i}`)).body).toBe('a');

    // 3. An invalid config is refused; the previous one keeps serving.
    const invalid = configWith({ a: 10, b: 0 }, true);
    invalid.listeners[1].backendService = 'ghost';
    const refused = await reload(invalid);
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain('/listeners/1/backendService');
    expect((await get(ADDR, EXTRA, '/still')).body).toBe('a');

    // 4. The extra listener is removed and closes.
    expect(await reload(configWith({ a: 5, b: 5 }, false))).toMatchObject({ ok: true });
    await waitFor('removed listener to close', async () => get(ADDR, EXTRA, '/gone').then(() => false, (err: Error) => /ECONNREFUSED/.test(err.message)), 10_000, 50);
    const status = await getJson(ADDR, node.adminPort, '/status');
    expect(status.listeners.map((l: { id: string }) => l.id)).toEqual(['main']);
    expect(status.backends[0].targets.map((t: { weight: number }) => t.weight)).toEqual([5, 5]);

    // 5. Back-to-back reloads, alternating the extra listener on and off.
    for (let k = 0; k < 6; k++) {
      expect(await reload(configWith({ a: 1 + k, b: 7 - k }, k % 2 === 0))).toMatchObject({ ok: true });
    }
  } finally {
    running = false;
    await Promise.all(loops);
  }
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(100);
}, 120_000);

test('--workers 0 (in-process data plane) reloads the same way', async () => {
  const inProcessFile = `${dir}/in-process.json`;
  const doc = (weightA: number) => lbConfig(ADDR, [listener('solo', PORT + 10, 'web')],
    [backend('web', [{ id: 'a', port: a.port, weight: weightA }, { id: 'b', port: b.port, weight: 10 }])]);
  fs.writeFileSync(inProcessFile, JSON.stringify(doc(10)));
  const solo = await startNode(['run', '--config', inProcessFile, '--bind', ADDR, '--workers', '0', '--access-log', 'off'], { adminHost: ADDR });
  try {
    const text = JSON.stringify(doc(0));
    fs.writeFileSync(inProcessFile, text);
    solo.child.kill('SIGHUP');
    const hash = sha256Hex(text);
    await waitFor('in-process reload', async () => (await getJson(ADDR, solo.adminPort, '/status')).configHash === hash, 10_000, 50);
    for (let i = 0; i < 6; i++) expect((await get(ADDR, PORT + 10, `/solo${i}`)).body).toBe('b');
    const s = await getJson(ADDR, solo.adminPort, '/status');
    expect(s.workers).toEqual([expect.objectContaining({ id: 0, pid: solo.child.pid, responding: true })]);
  } finally {
    solo.kill();
  }
});
