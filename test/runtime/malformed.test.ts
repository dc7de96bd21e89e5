/**
 * Hostile input over raw sockets: malformed and request-smuggling attempts. Each one must be
 * answered 4xx or have its connection closed, without any 2xx; the backend must never see a
 * request from the corpus (in particular no smuggled second request); the data plane keeps
 * serving afterwards. Also: header size limit (431) and the slowloris headers timeout.
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
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: lb.test\r\n\r\n';

/** [name, raw bytes]. Every request line targets /corpus so the backend log can be checked. */
const CORPUS: Array<[string, string]> = [
  ['CL then TE', `POST /corpus HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['TE then CL', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['double CL, different', `POST /corpus HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
  ['CL list', `POST /corpus HTTP/1.1\r\n${H}Content-Length: 0, 44\r\n\r\n${SMUGGLED}`],
  ['CL non-digit', `POST /corpus HTTP/1.1\r\n${H}Content-Length: 4x\r\n\r\nabcd`],
  ['CL negative', `POST /corpus HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ['CL plus sign', `POST /corpus HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nabcd`],
  ['CL huge', `POST /corpus HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n`],
  ['TE identity', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n${SMUGGLED}`],
  ['TE chunked not last', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['TE xchunked', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['space before colon', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['bad chunk size', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`],
  ['chunk size overflow', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n`],
  ['chunk data without CRLF', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX\r\n0\r\n\r\n`],
  ['negative chunk size', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n`],
  ['obs-fold', `GET /corpus HTTP/1.1\r\n${H}X-Folded: a\r\n  b\r\n\r\n`],
  ['obs-fold on TE', `POST /corpus HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
  ['bare LF', `GET /corpus HTTP/1.1\nHost: lb.test\nX-A: b\n\n`],
  ['bare CR in value', `GET /corpus HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`],
  ['invalid header name (space)', `GET /corpus HTTP/1.1\r\n${H}Bad Header: x\r\n\r\n`],
  ['invalid header name (paren)', `GET /corpus HTTP/1.1\r\n${H}Bad(Header): x\r\n\r\n`],
  ['empty header name', `GET /corpus HTTP/1.1\r\n${H}: x\r\n\r\n`],
  ['header without colon', `GET /corpus HTTP/1.1\r\n${H}JustSomeText\r\n\r\n`],
  ['NUL in header value', `GET /corpus HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`],
  ['NUL in URL', `GET /corpus\u0000x HTTP/1.1\r\n${H}\r\n`],
  ['space in URL', `GET /corpus x HTTP/1.1\r\n${H}\r\n`],
  ['bad version HTTP/1.x', `GET /corpus HTTP/1.x\r\n${H}\r\n`],
  ['bad version lowercase', `GET /corpus http/1.1\r\n${H}\r\n`],
  ['bad version HTTP/12.1', `GET /corpus HTTP/12.1\r\n${H}\r\n`],
  ['absurd method', `G@T /corpus HTTP/1.1\r\n${H}\r\n`],
  ['unknown long method', `${'X'.repeat(64)} /corpus HTTP/1.1\r\n${H}\r\n`],
  ['missing Host (HTTP/1.1)', 'GET /corpus HTTP/1.1\r\nX-A: b\r\n\r\n'],
  ['absolute-form target', `GET http://evil.test/corpus HTTP/1.1\r\n${H}\r\n`],
  ['asterisk target on GET', `GET * HTTP/1.1\r\n${H}\r\n`],
  ['CONNECT', `CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n`],
  ['huge header (20 KiB)', `GET /corpus HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`],
  ['huge URL (20 KiB)', `GET /corpus?${'a'.repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`],
  ['TLS ClientHello on plain HTTP', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003' + 'x'.repeat(40)],
  ['request line only garbage', '\u0001\u0002\u0003\r\n\r\n'],
  ['tab-separated request line', `GET\t/corpus\tHTTP/1.1\r\n${H}\r\n`],
];

test(`the corpus has at least 30 entries (${CORPUS.length})`, () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(30);
});

test.each(CORPUS)('%s → 4xx or closed, nothing reaches the backend', async (_name, payload) => {
  const before = be.seen.length;
  const r = await rawExchange(LB, port, Buffer.from(payload, 'latin1'), 3000);
  const statuses = [...r.response.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
  expect(statuses.every((x) => x >= 400 && x < 500)).toBe(true);
  expect(statuses.length > 0 || r.closed).toBe(true);
  expect(be.seen.slice(before).map((x) => x.url)).toEqual([]);
});

test('the backend never saw a smuggled request and the data plane still serves', async () => {
  expect(be.seen.some((x) => x.url.includes('smuggled'))).toBe(false);
  expect(be.seen.some((x) => x.url.includes('corpus'))).toBe(false);
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
