/** Readiness probes: a proxy counts as started once a request through it reaches a backend. */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';

export interface Endpoint { host: string; port: number }

export function httpGet(url: string, timeoutMs = 2000, headers: Record<string, string> = {}):
  Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { agent: false, timeout: timeoutMs, rejectUnauthorized: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export function canConnect(ep: Endpoint, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(ep.port, ep.host);
    const t = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    s.once('connect', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.once('error', () => { clearTimeout(t); resolve(false); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/**
 * Polls `probe` until it returns true, or throws after timeoutMs naming what was awaited and
 * the last error seen; `stillRunning` lets a crashed process fail fast instead of timing out.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number,
  stillRunning: () => string | null = () => null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = stillRunning();
    if (dead !== null) throw new Error(`${what}: process exited (${dead}) before it was ready`);
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}

export async function httpOk(url: string): Promise<boolean> {
  const r = await httpGet(url, 1000);
  return r.status === 200;
}
