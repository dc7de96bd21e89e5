/**
 * Model-based fuzzing of request framing, complementing the hand-written hostile corpus:
 * fast-check builds pipelined request sequences from well-formed pieces (header-name case,
 * OWS around Content-Length, chunk extensions, leading zeros, trailers, bodies that contain
 * whole requests and chunk terminators) and known-malformed pieces (CL+TE, duplicate or
 * non-numeric lengths, codings other than chunked, bad chunk sizes, broken chunk CRLFs,
 * invalid or duplicate Host, obs-fold, a space in a field name), sends them through the LB
 * split at random byte offsets, and checks the LB against the model:
 *
 *   - every request before the first malformed one reaches the target exactly once, in order,
 *     with its body byte-identical (chunked bodies de-chunked), and is answered 200;
 *   - the malformed one never completes at the target (its head may have gone on before its
 *     body broke; the target then sees an unfinished message cut off), nothing after it
 *     reaches the target at all (no smuggled request, whatever the body contained), the client
 *     gets at most one 4xx/501 for it, and the LB closes the connection;
 *   - the LB keeps serving afterwards.
 *
 * The target is node:http (strict, RFC-compliant framing), so "target and LB agree on where
 * each request ends" is exactly "the target executed what the model says".
 */
import fc from 'fast-check';
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, startHttpBackend } from './helpers/backends';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort } from './helpers/net';

jest.setTimeout(120_000);

const LB = '127.0.3.90';
const BE = '127.0.3.91';
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

// ---- the model --------------------------------------------------------------------------

interface Piece {
  /** What the piece is (shown by fast-check in a counterexample). */
  name: string;
  /** The bytes of the request, given its URL. */
  bytes: (url: string) => string;
  /** What the target must receive as the body; null: the request is malformed. */
  body: string | null;
}

/** Body text that looks like framing to a careless parser: requests, chunk ends, CRLFs. */
const bodyText = fc.array(fc.constantFrom(
  'abc', 'x', '\r\n', '0\r\n\r\n', 'GET /SMUG HTTP/1.1\r\nHost: lb.test\r\n\r\n',
  'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', '\n', ' ', 'HTTP/1.1 200 OK\r\n\r\n',
), { maxLength: 6 }).map((parts) => parts.join(''));

const host = fc.constantFrom('Host: lb.test\r\n', 'host: lb.test\r\n', 'HOST: lb.test:8080\r\n');
const pad = fc.constantFrom('', 'X-Pad: 1\r\n', 'Accept: */*\r\nX-Other: a, b\r\n');
const clName = fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH');
// Not a trailing HTAB: RFC 9110 allows it as OWS, Node 20's llhttp refuses it (400), Node 22's
// accepts it; either is safe, and the model holds only what every supported Node does.
const clValue = (n: number) => fc.constantFrom(`${n}`, ` ${n}`, `${n} `, `\t${n}`, ` \t${n} `);
const teValue = fc.constantFrom('chunked', 'Chunked', 'CHUNKED', ' chunked ');

const noBody: fc.Arbitrary<Piece> = fc.tuple(fc.constantFrom('GET', 'HEAD', 'DELETE', 'OPTIONS'), host, pad)
  .map(([method, h, p]) => ({ name: `${method} ${JSON.stringify(h + p)}`, bytes: (url: string) => `${method} ${url} HTTP/1.1\r\n${h}${p}\r\n`, body: '' }));

const withLength: fc.Arbitrary<Piece> = bodyText.chain((body) => fc.tuple(fc.constantFrom('POST', 'PUT', 'PATCH'), host, pad, clName, clValue(body.length))
  .map(([method, h, p, name, value]) => ({ name: `${method} ${name}:${JSON.stringify(value)} ${JSON.stringify(body)}`, bytes: (url: string) => `${method} ${url} HTTP/1.1\r\n${h}${p}${name}:${value}\r\n\r\n${body}`, body })));

/** A chunked body: the data split into chunks, sizes in any case and with leading zeros. */
function chunkedBody(chunks: string[], ext: string, upper: boolean, zeros: boolean, trailer: string): string {
  const size = (n: number): string => `${zeros ? '00' : ''}${upper ? n.toString(16).toUpperCase() : n.toString(16)}`;
  return `${chunks.map((c) => `${size(c.length)}${ext}\r\n${c}\r\n`).join('')}0${ext}\r\n${trailer}\r\n`;
}

const chunked: fc.Arbitrary<Piece> = fc.tuple(
  fc.array(bodyText.filter((t) => t.length > 0), { maxLength: 3 }), fc.constantFrom('', ';a=b', ';flag'),
  fc.boolean(), fc.boolean(), fc.constantFrom('', 'X-Trailer: t\r\n'), host, pad, teValue,
).map(([chunks, ext, upper, zeros, trailer, h, p, te]) => ({
  name: `chunked ${JSON.stringify({ chunks, ext, upper, zeros, trailer, te })}`,
  bytes: (url: string) => `POST ${url} HTTP/1.1\r\n${h}${p}Transfer-Encoding:${te}\r\n\r\n${chunkedBody(chunks, ext, upper, zeros, trailer)}`,
  body: chunks.join(''),
}));

const wellFormed = fc.oneof(noBody, withLength, chunked);

/** Each is refused by the LB (the hostile corpus pins the exact status of each family). */
const malformed: fc.Arbitrary<Piece> = fc.tuple(bodyText, fc.constantFrom(
  (b: string) => `Content-Length: ${b.length}\r\nTransfer-Encoding: chunked\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: chunked\r\nContent-Length: ${b.length}\r\n\r\n0\r\n\r\n${b}`,
  (b: string) => `Content-Length: ${b.length}\r\nContent-Length: ${b.length + 1}\r\n\r\n${b}`,
  (b: string) => `Content-Length: +${b.length}\r\n\r\n${b}`,
  (b: string) => `Content-Length: ${b.length}x\r\n\r\n${b}`,
  (b: string) => `Content-Length: ${b.length}, ${b.length}\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: identity\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: chunked\r\n\r\nzz\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `Transfer-Encoding: chunked\r\n\r\n${(b.length + 2).toString(16)}\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n${b}`,
  (b: string) => `Transfer-Encoding: chunked\r\n X-Folded: 1\r\n\r\n0\r\n\r\n${b}`,
  (b: string) => `X Bad: 1\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
)).chain(([b, rest]) => fc.constantFrom<Piece>(
  { name: `bad framing ${JSON.stringify(rest(b))}`, bytes: (url: string) => `POST ${url} HTTP/1.1\r\nHost: lb.test\r\n${rest(b)}`, body: null },
  { name: `two Hosts ${JSON.stringify(rest(b))}`, bytes: (url: string) => `POST ${url} HTTP/1.1\r\nHost: lb.test\r\nHost: other.test\r\n${rest(b)}`, body: null },
  { name: 'invalid Host', bytes: (url: string) => `GET ${url} HTTP/1.1\r\nHost: lb test\r\n\r\n`, body: null },
  { name: 'no Host', bytes: (url: string) => `GET ${url} HTTP/1.1\r\nX-A: 1\r\n\r\n`, body: null },
));

/** 1-4 requests; maybe one malformed among them; the byte offsets where writes are split. */
const sequence = fc.tuple(
  fc.array(wellFormed, { minLength: 1, maxLength: 4 }),
  fc.option(fc.tuple(malformed, fc.nat()), { nil: undefined }),
  fc.array(fc.nat(), { maxLength: 6 }),
).map(([good, bad, cuts]) => {
  const pieces: Piece[] = [...good];
  if (bad !== undefined) pieces.splice(bad[1] % (pieces.length + 1), 0, bad[0]);
  return { pieces, cuts };
});

// ---- the wire ---------------------------------------------------------------------------

let dp: StartedDataPlane;
let be: HttpBackend;
/** Requests the target read completely (be.seen has every head, complete or not). */
const completed: Array<{ url: string; body: Buffer }> = [];
let port: number;

beforeAll(async () => {
  be = await startHttpBackend('be', BE, (req, res, body) => {
    completed.push({ url: req.url ?? '', body });
    res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': `${req.method} ${req.url} ${body.length}` });
    res.end(req.method === 'HEAD' ? undefined : 'ok');
  });
  port = await freePort(LB);
  dp = await startDataPlane(lbConfig([listener('fuzz', port, 'be', { idleTimeoutMs: 2000 })], [backend('be', [target('b', BE, be.port)])]), LB);
});

afterAll(async () => {
  await dp?.dp.close(200);
  await be?.close();
});

/** Writes `data` in the given slices (a macrotask apart) and collects everything until the LB closes. */
function exchange(data: Buffer, cuts: number[]): Promise<{ text: string; closedByLb: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: LB, port });
    const chunks: Buffer[] = [];
    const offsets = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
    const guard = setTimeout(() => finish(false), 5000);
    const finish = (closedByLb: boolean): void => {
      clearTimeout(guard);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByLb });
    };
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => undefined); // a reset after a refusal: the close below still comes
    sock.on('close', () => finish(true));
    sock.on('connect', async () => {
      let from = 0;
      for (const to of [...offsets, data.length]) {
        if (to > from && !sock.destroyed) sock.write(data.subarray(from, to));
        from = Math.max(from, to);
        await new Promise((r) => setTimeout(r, 1));
      }
    });
  });
}

let caseNo = 0;

interface Case { pieces: Piece[]; prefix: string; served: number; malformed: boolean }

/** The model's verdict on one exchange; throws (jest expect) on any difference. */
function check(c: Case, text: string, closedByLb: boolean): void {
  const executed = completed.filter((r) => r.url.startsWith(c.prefix));
  expect(executed.map((r) => r.url)).toEqual(c.pieces.slice(0, c.served).map((_, i) => `${c.prefix}${i}`));
  executed.forEach((r, i) => expect(r.body.toString('latin1')).toBe(c.pieces[i].body));
  // Bodies stream: a malformed request's head may have gone on before its body broke (the
  // target then saw an unfinished message cut off), but nothing after it ever did.
  const heads = be.seen.filter((r) => r.url.startsWith(c.prefix)).map((r) => r.url);
  expect(heads.slice(0, c.served)).toEqual(executed.map((r) => r.url));
  expect(heads.slice(c.served).every((u) => u === `${c.prefix}${c.served}`)).toBe(true);
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  expect(statuses.slice(0, c.served)).toEqual(c.pieces.slice(0, c.served).map(() => 200));
  const echoes = [...text.matchAll(/x-echo: (\S+) (\S+) \d+/gi)].map((m) => m[2]);
  expect(echoes).toEqual(executed.map((r) => r.url));
  expect(closedByLb).toBe(true);
  if (c.malformed) {
    expect(statuses.length).toBeLessThanOrEqual(c.served + 1);
    for (const s of statuses.slice(c.served)) expect([400, 413, 431, 501]).toContain(s);
  } else {
    expect(statuses.length).toBe(c.served);
  }
}

test(`${RUNS} random pipelined sequences: the target executes exactly the requests before the first malformed one, bodies intact`, async () => {
  await fc.assert(fc.asyncProperty(sequence, async ({ pieces, cuts }) => {
    const prefix = `/z${caseNo++}/`;
    const firstBad = pieces.findIndex((p) => p.body === null);
    const c: Case = { pieces, prefix, served: firstBad < 0 ? pieces.length : firstBad, malformed: firstBad >= 0 };
    // An all-good sequence ends with a request that asks to close, so the exchange ends by itself.
    const wire = pieces.map((p, i) => {
      const text = p.bytes(`${prefix}${i}`);
      return !c.malformed && i === pieces.length - 1 ? text.replace('\r\n', '\r\nConnection: close\r\n') : text;
    }).join('');
    const { text, closedByLb } = await exchange(Buffer.from(wire, 'latin1'), cuts);
    try {
      check(c, text, closedByLb);
    } catch (e) {
      // The exact bytes and cuts of this run: enough to replay it by hand.
      throw new Error(`${(e as Error).message}\nwire: ${JSON.stringify(wire)}\ncuts: ${JSON.stringify(cuts)}\nreceived: ${JSON.stringify(text)}`);
    }
  }), { numRuns: RUNS, endOnFailure: true }); // the error shows the exact bytes; shrinking would re-run exchanges for minutes
  expect(be.seen.some((r) => r.url.includes('SMUG'))).toBe(false);
});

test('the LB still serves after the fuzzing', async () => {
  const { text } = await exchange(Buffer.from('GET /after HTTP/1.1\r\nHost: lb.test\r\nConnection: close\r\n\r\n'), []);
  expect(text).toMatch(/^HTTP\/1\.1 200 /);
});
