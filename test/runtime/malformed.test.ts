/**
 * Hostile clients over raw sockets beyond single requests (the request corpus itself, with
 * exact outcomes, is hostile-corpus.test.ts): header size limit (431), the slowloris headers
 * timeout, clients that vanish mid-upload or mid-download, pipelining cut across reads, and
 * the lingering close that keeps answers from being lost to a reset.
 */
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startHttpBackend } from './helpers/backends';
import { request, startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, rawExchange } from './helpers/net';

const LB = '127.0.3.60';
const BE = '127.0.3.61';

let be: HttpBackend;
let s: StartedDataPlane;
let port: number;
beforeAll(async () => {
  be = await startHttpBackend('be', BE);
  port = await freePort(LB);
  s = await startDataPlane(lbConfig([listener('l', port, 'web', { idleTimeoutMs: 1500 })], [backend('web', [target('t', BE, be.port)])]), LB);
});
afterAll(async () => {
  await s.dp.close(200);
  await be.close();
});

const H = 'Host: lb.test\r\n';
test('a CL/TE conflict is refused and the data plane still serves', async () => {
  const r0 = await rawExchange(LB, port, `GET /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`, 1000);
  expect(r0.response).toMatch(/^HTTP\/1\.1 400 /);
  const r = await request({ host: LB, port, path: '/after' });
  expect(r.status).toBe(200);
  expect(r.body).toBe('be');
});

test('header block over 16 KiB → 431', async () => {
  const r = await rawExchange(LB, port, `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
  expect(r.response).toMatch(/^HTTP\/1\.1 431 /);
});

test('slowloris: a header block that never completes is cut off by the headers timeout', async () => {
  const t0 = Date.now();
  const closedAfter = await new Promise<number>((resolve) => {
    const sock = net.connect({ host: LB, port }, () => {
      sock.write('GET / HTTP/1.1\r\nHost: lb.test\r\n');
      // Trickle one header line every 300 ms, never the final CRLF.
      const t = setInterval(() => { if (!sock.destroyed) sock.write('X-Slow: 1\r\n'); }, 300);
      const guard = setTimeout(() => sock.destroy(), 15000);
      sock.on('close', () => { clearInterval(t); clearTimeout(guard); resolve(Date.now() - t0); });
      sock.on('error', () => undefined);
    });
  });
  // headersTimeout = min(idle 1500 ms, 10 s), checked every second.
  expect(closedAfter).toBeLessThan(6000);
});

test('clients that vanish mid-upload or mid-download leave the data plane serving and targets released', async () => {
  // Mid-upload: half a chunked body, then a reset.
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve) => {
      const sock = net.connect({ host: LB, port }, () => {
        sock.write(`POST /upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n400\r\n${'u'.repeat(200)}`);
        setTimeout(() => { sock.resetAndDestroy(); resolve(); }, 50);
      });
      sock.on('error', () => undefined);
    });
  }
  // Mid-download: read the status line of a large streamed answer, then reset.
  const big = await startHttpBackend('big', BE, (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 1);
    let n = 0;
    const pump = (): void => {
      while (n++ < 400) if (!res.write(chunk)) { res.once('drain', pump); return; }
      res.end();
    };
    res.on('close', () => { n = 1e9; });
    pump();
  });
  const bigPort = await freePort(LB);
  const s2 = await startDataPlane(lbConfig([listener('big', bigPort, 'b')], [backend('b', [target('big', BE, big.port)])]), LB);
  try {
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const sock = net.connect({ host: LB, port: bigPort }, () => sock.write(`GET /big HTTP/1.1\r\n${H}\r\n`));
        sock.once('data', () => { sock.resetAndDestroy(); resolve(); });
        sock.on('error', () => undefined);
      });
    }
    for (let i = 0; i < 50; i++) {
      const active = s2.dp.snapshot().backends[0].targets[0].active + s.dp.snapshot().backends[0].targets[0].active;
      if (active === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(s2.dp.snapshot().backends[0].targets[0].active).toBe(0);
    expect(s.dp.snapshot().backends[0].targets[0].active).toBe(0);
    expect((await request({ host: LB, port, path: '/still' })).status).toBe(200);
  } finally {
    await s2.dp.close(100);
    await big.close();
  }
});

test('closing after a malformed pipelined request lingers: an answer sent while the client still writes is not lost to a reset', async () => {
  // The client pipelines a request the target answers after 300 ms, a malformed request, and
  // then keeps writing. The LB stops reading at the malformed request; had it closed with those
  // bytes unread, the kernel would send RST, the client's next write would fail, and the
  // client would lose the 200 (and the 400) before reading them.
  const slow = await startHttpBackend('slow', BE, (_req, res) => setTimeout(() => res.end('slow'), 300));
  const lbPort = await freePort(LB);
  const dp = await startDataPlane(lbConfig([listener('l', lbPort, 'web')], [backend('web', [target('t', BE, slow.port)])]), LB);
  try {
    const result = await new Promise<{ text: string; error: string | null }>((resolve) => {
      const sock = net.connect({ host: LB, port: lbPort });
      let text = '';
      let error: string | null = null;
      let ended = false;
      const writer = setInterval(() => { if (!ended && !sock.destroyed) sock.write('z'.repeat(1024)); }, 2);
      sock.on('connect', () => sock.write(`GET /first HTTP/1.1\r\n${H}\r\nGET /second HTTP/1.1\r\n${H}Content-Length: 1x\r\n\r\n`));
      sock.on('data', (c: Buffer) => (text += c.toString('latin1')));
      sock.on('end', () => (ended = true));
      sock.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      sock.on('close', () => {
        clearInterval(writer);
        resolve({ text, error });
      });
      setTimeout(() => sock.destroy(), 8000);
    });
    expect([...result.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([200, 400]);
    expect(result.error).toBeNull();
    expect(slow.seen.map((r) => r.url)).toEqual(['/first']);
  } finally {
    await dp.dp.close(200);
    await slow.close();
  }
});

test('a pipelined POST whose body arrives in a later read is read to the end, not left waiting', async () => {
  // Reading pauses while a pipelined request waits; it must start again once that request
  // is the one being answered, or the rest of its body is never read (until timeouts).
  expect((await request({ host: LB, port, path: '/warm' })).status).toBe(200); // a pooled target connection
  const head = `GET /p1 HTTP/1.1\r\n${H}\r\nPOST /p2 HTTP/1.1\r\n${H}Connection: close\r\nContent-Length: 10\r\n\r\nhello`;
  const text = await new Promise<string>((resolve) => {
    const sock = net.connect({ host: LB, port }, () => {
      sock.write(head);
      setTimeout(() => sock.write('world'), 100);
    });
    let t = '';
    sock.on('data', (c: Buffer) => (t += c.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(t));
    setTimeout(() => sock.destroy(), 5000);
  });
  expect([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([200, 200]);
  expect(be.seen.find((r) => r.url === '/p2')?.body.toString()).toBe('helloworld');
});
