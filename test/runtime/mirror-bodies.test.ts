/**
 * Mirroring of request bodies through a real data plane on real sockets: Content-Length and
 * chunked bodies reach the primary and the mirror byte for byte; the body bound
 * (`mirrorMaxBodyBytes`); a client that breaks off its body or its chunk framing ends the copy
 * before the mirror target has a complete request; retries of the primary make no second
 * copy. The stalled mirror (a target that never reads) is test/runtime/mirror-stalled.test.ts.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { BackendServiceConfig, UrlMapConfig, UrlMapRuleConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startHttpBackend, startTcpBackend, TcpBackend } from './helpers/backends';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, sleep } from './helpers/net';
import { waitFor } from './helpers/wait';

const LB = '127.0.22.10';
const BE = '127.0.22.11';

const started: StartedDataPlane[] = [];
const closers: Array<HttpBackend | TcpBackend> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.dp.close(200)));
  await Promise.all(closers.splice(0).map((b) => b.close()));
});

/** An HTTP backend that records each request and counts those whose body arrived whole. */
async function recorder(name: string): Promise<HttpBackend & { complete: Buffer[] }> {
  const complete: Buffer[] = [];
  const b = await startHttpBackend(name, BE, (_req, res, body) => {
    complete.push(body);
    res.end(name);
  });
  closers.push(b);
  return Object.assign(b, { complete });
}

function mirrorRule(over: Partial<UrlMapRuleConfig> = {}): UrlMapRuleConfig {
  return {
    id: 'm', host: null, path: null,
    action: { type: 'forward', backendService: 'web', redirect: null, fixedResponse: null },
    rewrite: null, requestHeaders: null, responseHeaders: null, mirror: 'shadow',
    ...over,
  };
}

/** One HTTP listener whose URL map mirrors everything to `shadow`; default backend `web`. */
async function serve(rule: UrlMapRuleConfig, services: BackendServiceConfig[]): Promise<{ port: number; dp: StartedDataPlane }> {
  const port = await freePort(LB);
  const map: UrlMapConfig = { id: 'site', path: 'test/site', rules: [rule] };
  const cfg = { ...lbConfig([listener('l', port, 'web', { urlMap: 'site' })], services), urlMaps: [map] };
  expect(validateLbConfig(cfg)).toEqual([]);
  const dp = await startDataPlane(cfg, LB);
  started.push(dp);
  return { port, dp };
}

/** POSTs `chunks`: with Content-Length when `chunked` is false, else as chunks of that size. */
function post(port: number, chunks: Buffer[], chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const req = http.request({
      host: LB, port, method: 'POST', path: '/upload', agent: false,
      headers: chunked ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/octet-stream', 'content-length': total },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

function pieces(n: number, size: number): Buffer[] {
  return Array.from({ length: n }, () => randomBytes(size));
}

describe('a mirrored POST body reaches the primary and the mirror byte for byte', () => {
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('%s', async (_name, chunked) => {
    const web = await recorder('web');
    const shadow = await recorder('shadow');
    const { port, dp } = await serve(mirrorRule(), [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
    const body = pieces(20, 16 * 1024); // 320 KiB, under the 1 MiB default bound
    const r = await post(port, body, chunked as boolean);
    expect([r.status, r.body]).toEqual([200, 'web']);
    const whole = Buffer.concat(body);
    await waitFor('the mirror copy', () => shadow.complete.length === 1 || null);
    expect(web.complete[0].equals(whole)).toBe(true);
    expect(shadow.complete[0].equals(whole)).toBe(true);
    // A chunked body is re-chunked to the mirror as it streams; a sized one keeps its length.
    const seen = shadow.seen[0].headers;
    if (chunked) expect([seen['transfer-encoding'], seen['content-length']]).toEqual(['chunked', undefined]);
    else expect([seen['transfer-encoding'], seen['content-length']]).toEqual([undefined, String(whole.length)]);
    await waitFor('the outcome', () => dp.observer.mirrorCopies.length === 1 || null);
    expect(dp.observer.mirrorCopies).toEqual(['l shadow completed']);
  });
});

test('a body over mirrorMaxBodyBytes is not mirrored and is counted; a chunked one is cut before its end', async () => {
  const web = await recorder('web');
  const shadow = await recorder('shadow');
  const { port, dp } = await serve(mirrorRule({ mirrorMaxBodyBytes: 1000 }),
    [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
  // Content-Length over the bound: no copy at all.
  const sized = pieces(1, 1001);
  expect((await post(port, sized, false)).body).toBe('web');
  expect(web.complete[0].equals(sized[0])).toBe(true);
  // Exactly at the bound: mirrored.
  const fits = pieces(1, 1000);
  expect((await post(port, fits, false)).body).toBe('web');
  await waitFor('the copy that fits', () => shadow.complete.length === 1 || null);
  expect(shadow.complete[0].equals(fits[0])).toBe(true);
  // Chunked and over the bound: the copy starts streaming and is cut at the bound.
  const chunked = pieces(3, 600);
  expect((await post(port, chunked, true)).body).toBe('web');
  expect(web.complete[2].equals(Buffer.concat(chunked))).toBe(true);
  await waitFor('three outcomes', () => dp.observer.mirrorCopies.length === 3 || null);
  await sleep(200);
  expect(dp.observer.mirrorCopies).toEqual(['l shadow too_large', 'l shadow completed', 'l shadow too_large']);
  expect(shadow.complete).toHaveLength(1);
});

test('mirrorMaxBodyBytes 0 mirrors body-less requests only', async () => {
  const web = await recorder('web');
  const shadow = await recorder('shadow');
  const { port, dp } = await serve(mirrorRule({ mirrorMaxBodyBytes: 0 }),
    [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
  expect((await post(port, pieces(1, 10), true)).body).toBe('web');
  expect((await post(port, [], false)).body).toBe('web');
  await waitFor('two outcomes', () => dp.observer.mirrorCopies.length === 2 || null);
  expect(dp.observer.mirrorCopies).toEqual(['l shadow too_large', 'l shadow completed']);
  expect(shadow.complete.map((b) => b.length)).toEqual([0]);
});

test('a client that aborts mid-body aborts the copy: no complete request reaches the mirror', async () => {
  const web = await recorder('web');
  const shadow = await recorder('shadow');
  const { port, dp } = await serve(mirrorRule(), [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
  const sock = net.connect({ host: LB, port });
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => undefined);
  sock.write(`POST /upload HTTP/1.1\r\nhost: a.example.com\r\ncontent-length: ${512 * 1024}\r\n\r\n`);
  sock.write(randomBytes(100 * 1024));
  await waitFor('the copy reached the mirror', () => shadow.seen.length === 1 || null);
  sock.destroy();
  await waitFor('the outcome', () => dp.observer.mirrorCopies.length === 1 || null);
  expect(dp.observer.mirrorCopies).toEqual(['l shadow client_aborted']);
  await sleep(300);
  expect(shadow.complete).toEqual([]);
  expect(web.complete).toEqual([]);
});

test('a malformed chunk mid-body ends the copy before its end; nothing after it reaches the mirror', async () => {
  const web = await recorder('web');
  const received: Buffer[][] = [];
  const shadow = await startTcpBackend(BE, (socket, rec) => { received.push(rec); socket.on('end', () => socket.end()); });
  closers.push(shadow);
  const { port, dp } = await serve(mirrorRule(), [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
  const sock = net.connect({ host: LB, port });
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => undefined);
  const closed = new Promise((r) => sock.once('close', r));
  let answer = '';
  sock.on('data', (d) => { answer += d.toString('latin1'); });
  sock.write('POST /upload HTTP/1.1\r\nhost: a.example.com\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await waitFor('the first chunk at the mirror', () => Buffer.concat(received[0] ?? []).includes('hello') || null);
  // Not a chunk size: the rest would read as a smuggled request if it were passed on.
  sock.write('zz\r\nGET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n0\r\n\r\n');
  await closed;
  // The primary's request broke off as well (it had its head and first chunk): the client gets
  // an error answer and the connection closes.
  expect(answer).toMatch(/^HTTP\/1\.1 [45]\d\d /);
  await waitFor('the outcome', () => dp.observer.mirrorCopies.length === 1 || null);
  expect(dp.observer.mirrorCopies).toEqual(['l shadow client_aborted']);
  await sleep(200);
  const atMirror = Buffer.concat(received[0]).toString('latin1');
  // The head, the one good chunk, and nothing more: no last chunk, no bytes past the bad one.
  expect(atMirror).toMatch(/^POST \/upload HTTP\/1\.1\r\n[\s\S]*\r\n\r\n5\r\nhello\r\n$/);
  expect(atMirror).toContain('\r\ntransfer-encoding: chunked\r\n');
  expect(atMirror).not.toContain('smuggled');
  expect(atMirror).not.toContain('0\r\n\r\n');
  expect(web.complete).toEqual([]);
});

test('a retried primary attempt makes no second copy', async () => {
  const web = await recorder('web');
  const shadow = await recorder('shadow');
  const deadPort = await freePort(BE);
  // Passive health off: the dead target keeps being picked, so connect failures are retried.
  const { port, dp } = await serve(mirrorRule(), [
    backend('web', [target('dead', BE, deadPort), target('w', BE, web.port)], { passiveHealth: { maxFails: 0, failTimeoutMs: 10000 } }),
    backend('shadow', [target('s', BE, shadow.port)]),
  ]);
  const bodies = pieces(6, 2048);
  for (const b of bodies) expect((await post(port, [b], false)).body).toBe('web');
  expect(dp.observer.failures.length).toBeGreaterThan(0);
  await waitFor('six copies', () => dp.observer.mirrorCopies.length === 6 || null);
  await sleep(200);
  expect(dp.observer.mirrorCopies).toEqual(Array(6).fill('l shadow completed'));
  expect(shadow.complete.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
});

test('a chunked body over the bound that arrives with its head opens no mirror connection', async () => {
  const web = await recorder('web');
  const shadow = await startTcpBackend(BE, (socket) => socket.destroy());
  closers.push(shadow);
  const { port, dp } = await serve(mirrorRule({ mirrorMaxBodyBytes: 1000 }),
    [backend('web', [target('w', BE, web.port)]), backend('shadow', [target('s', BE, shadow.port)])]);
  const chunk = `258\r\n${'x'.repeat(600)}\r\n`;
  const sock = net.connect({ host: LB, port });
  let answer = '';
  sock.on('data', (d) => { answer += d.toString('latin1'); });
  sock.on('error', () => undefined);
  // Head and whole body in one write: the copy is over the bound before it is sent.
  sock.write(`POST /upload HTTP/1.1\r\nhost: a.example.com\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${chunk}${chunk}0\r\n\r\n`);
  await new Promise((r) => sock.once('close', r));
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(web.complete[0].length).toBe(1200);
  await waitFor('the outcome', () => dp.observer.mirrorCopies.length === 1 || null);
  expect(dp.observer.mirrorCopies).toEqual(['l shadow too_large']);
  await sleep(100);
  expect(shadow.received).toEqual([]);
});
