/**
 * The hostile-request corpus: every vector is raw bytes written in one go on a fresh
 * connection to an HTTP listener, in front of a target that records every request it
 * executes. For each vector the test asserts the exact outcome the client sees (the status
 * lines, in order, and whether the LB then closes) and exactly which requests the target
 * executed — the ones the client meant, never a smuggled one.
 *
 * It runs twice: in front of node:http (strict, like the LB) and in front of python3's
 * http.server (lenient: it executes whatever it can parse, cannot read chunked bodies and
 * answers their chunk lines as extra requests). One data plane serves both listeners.
 *
 * Each vector's request targets start with its own prefix P (`/v<n>`), so what the target
 * executed is attributed to the vector that caused it, and a request with any other target
 * (a desync) fails the final check.
 */
import * as net from 'node:net';
import { backend, lbConfig, listener, target } from './helpers/config';
import { HttpBackend, PythonBackend, startHttpBackend, startPythonBackend } from './helpers/backends';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort } from './helpers/net';

jest.setTimeout(120_000);

const LB = '127.0.3.80';
const BE = '127.0.3.81';
const H = 'Host: lb.test\r\n';

// ---- the vectors ----------------------------------------------------------------------------

interface Outcome {
  /** Status lines the client receives, in order (100 included). */
  statuses: number[];
  /** The LB closes the connection after them (else it stays open for the next request). */
  close: boolean;
  /** What the target executes: `METHOD /suffix` after the vector's prefix, in order. */
  target: string[];
}

interface Vector extends Outcome {
  name: string;
  /** The bytes; P is the vector's path prefix. */
  send: (P: string) => string;
  /** Differences behind python3's http.server. */
  py?: Partial<Outcome>;
  /** Extra checks on the requests the target executed (header values as it saw them). */
  check?: (seen: Array<{ url: string; headers: Record<string, string | string[] | undefined> }>) => void;
}

const V: Vector[] = [];
/** Refused: one status, the connection closes, nothing reaches the target. */
function refused(name: string, status: number, send: (P: string) => string): void {
  V.push({ name, send, statuses: [status], close: true, target: [] });
}
/** Served: the target executes `target`, one 200 each, the connection stays open. */
function served(name: string, target: string[], send: (P: string) => string, extra: Partial<Vector> = {}): void {
  V.push({ name, send, statuses: target.map(() => 200), close: false, target, ...extra });
}
function vector(v: Vector): void {
  V.push(v);
}

const SMUG = (P: string): string => `GET ${P}/SMUG HTTP/1.1\r\nHost: internal.admin\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`;
const post = (P: string, fields: string, body = ''): string => `POST ${P}/a HTTP/1.1\r\n${H}${fields}\r\n${body}`;
const get = (P: string, fields = ''): string => `GET ${P}/a HTTP/1.1\r\n${H}${fields}\r\n`;

// Content-Length / Transfer-Encoding conflicts and malformed lengths.
refused('CL then TE', 400, (P) => post(P, 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUG(P)}`));
refused('TE then CL', 400, (P) => post(P, 'Transfer-Encoding: chunked\r\nContent-Length: 60\r\n', `0\r\n\r\n${SMUG(P)}`));
refused('two different CLs', 400, (P) => post(P, 'Content-Length: 0\r\nContent-Length: 44\r\n', SMUG(P)));
refused('two equal CLs', 400, (P) => post(P, 'Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'));
refused('CL list', 400, (P) => post(P, 'Content-Length: 0, 44\r\n', SMUG(P)));
refused('CL non-digit', 400, (P) => post(P, 'Content-Length: 4x\r\n', 'abcd'));
refused('CL negative', 400, (P) => post(P, 'Content-Length: -1\r\n'));
refused('CL plus sign', 400, (P) => post(P, 'Content-Length: +4\r\n', 'abcd'));
refused('CL hex', 400, (P) => post(P, 'Content-Length: 0x4\r\n', 'abcd'));
refused('CL empty', 400, (P) => post(P, 'Content-Length: \r\n', 'abcd'));
refused('CL huge', 400, (P) => post(P, 'Content-Length: 99999999999999999999999\r\n'));
refused('CL with inner space', 400, (P) => post(P, 'Content-Length: 1 0\r\n', 'abcdefghij'));
served('CL with OWS around the value', ['POST /a'], (P) => post(P, 'Content-Length: \t4 \r\n', 'abcd'));
served('CL 0 then a pipelined request', ['POST /a', 'GET /b'], (P) => post(P, 'Content-Length: 0\r\n') + `GET ${P}/b HTTP/1.1\r\n${H}\r\n`);

// Transfer-Encoding obfuscations: only a lone `chunked` is taken (501 for other codings).
refused('TE identity', 501, (P) => post(P, 'Transfer-Encoding: identity\r\n', SMUG(P)));
refused('TE identity on GET', 501, (P) => get(P, 'Transfer-Encoding: identity\r\n') + SMUG(P));
refused('TE chunked then gzip', 400, (P) => post(P, 'Transfer-Encoding: chunked, gzip\r\n', `0\r\n\r\n${SMUG(P)}`));
refused('TE gzip then chunked', 501, (P) => post(P, 'Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'));
refused('TE xchunked', 501, (P) => post(P, 'Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUG(P)}`));
refused('TE chunked twice in one field', 400, (P) => post(P, 'Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'));
refused('TE chunked in two fields', 400, (P) => post(P, 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'));
refused('TE with parameter', 501, (P) => post(P, 'Transfer-Encoding: chunked;q=1\r\n', '0\r\n\r\n'));
refused('TE empty', 400, (P) => post(P, 'Transfer-Encoding: \r\n', SMUG(P)));
refused('TE quoted', 501, (P) => post(P, 'Transfer-Encoding: "chunked"\r\n', '0\r\n\r\n'));
refused('TE with vertical tab', 400, (P) => post(P, 'Transfer-Encoding: chunked\u000b\r\n', '0\r\n\r\n'));
refused('TE with space before the colon', 400, (P) => post(P, 'Transfer-Encoding : chunked\r\nContent-Length: 4\r\n', `0\r\n\r\n${SMUG(P)}`));
refused('TE obs-folded', 400, (P) => post(P, 'Transfer-Encoding:\r\n chunked\r\n', '0\r\n\r\n'));
refused('TE on HTTP/1.0', 400, (P) => `POST ${P}/a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
served('TE Chunked (case)', ['POST /a'], (P) => post(P, 'Transfer-Encoding: Chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'));
served('TE with OWS', ['POST /a'], (P) => post(P, 'Transfer-Encoding: \tchunked \r\n', '5\r\nhello\r\n0\r\n\r\n'));
served('Transfer_Encoding is just another field', ['POST /a'], (P) => post(P, 'Transfer_Encoding: chunked\r\nContent-Length: 5\r\n', 'hello'));
served('chunked body with a smuggled-looking second request (pipelined, intended)', ['POST /a', 'GET /SMUG'],
  (P) => post(P, 'Transfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUG(P)}`));

// obs-fold, bare CR / LF.
refused('obs-fold (space)', 400, (P) => get(P, 'X-Folded: a\r\n  b\r\n'));
refused('obs-fold (tab)', 400, (P) => get(P, 'X-Folded: a\r\n\tb\r\n'));
refused('obs-fold on Host', 400, (P) => `GET ${P}/a HTTP/1.1\r\nHost:\r\n lb.test\r\n\r\n`);
refused('obs-fold on CL', 400, (P) => post(P, 'Content-Length:\r\n 5\r\n', 'hello'));
refused('bare LF line ends', 400, (P) => `GET ${P}/a HTTP/1.1\nHost: lb.test\nX-A: b\n\n`);
refused('bare LF after the request line', 400, (P) => `GET ${P}/a HTTP/1.1\n${H}\r\n`);
refused('bare LF inside the header block', 400, (P) => get(P, 'X-A: b\nX-B: c\r\n'));
refused('bare CR in a value', 400, (P) => get(P, 'X-A: a\rb\r\n'));
refused('bare CR as a line end', 400, (P) => get(P, 'X-A: b\r'));
refused('bare CR in the request line', 400, (P) => `GET ${P}/a\r HTTP/1.1\r\n${H}\r\n`);
refused('CR CR LF', 400, (P) => get(P, 'X-A: b\r\r\n'));

// NUL and control bytes in field values, names and the request target.
for (let c = 0; c < 0x20; c++) {
  if (c === 0x09) continue; // HTAB is allowed inside a value
  const hex = c.toString(16).padStart(2, '0');
  refused(`control byte 0x${hex} in a field value`, 400, (P) => get(P, `X-A: a${String.fromCharCode(c)}b\r\n`));
}
refused('DEL in a field value', 400, (P) => get(P, 'X-A: a\u007fb\r\n'));
served('HTAB inside a field value', ['GET /a'], (P) => get(P, 'X-A: a\tb\r\n'));
served('obs-text (0xE9) in a field value', ['GET /a'], (P) => get(P, 'X-A: caf\u00e9\r\n'));
for (const c of ['\u0000', '\u0001', '\u001f', '\u007f', '\t', ' ']) {
  refused(`byte 0x${c.charCodeAt(0).toString(16)} in a field name`, 400, (P) => get(P, `X-A${c}B: x\r\n`));
}
for (const c of ['(', ')', ',', '/', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}', '"']) {
  refused(`"${c}" in a field name`, 400, (P) => get(P, `X${c}A: x\r\n`));
}
refused('empty field name', 400, (P) => get(P, ': x\r\n'));
refused('field line without a colon', 400, (P) => get(P, 'JustSomeText\r\n'));
refused('NUL in the target', 400, (P) => `GET ${P}/a\u0000x HTTP/1.1\r\n${H}\r\n`);
refused('DEL in the target', 400, (P) => `GET ${P}/a\u007fx HTTP/1.1\r\n${H}\r\n`);
refused('TAB in the target', 400, (P) => `GET ${P}/a\tx HTTP/1.1\r\n${H}\r\n`);
refused('space in the target', 400, (P) => `GET ${P}/a x HTTP/1.1\r\n${H}\r\n`);
refused('tab-separated request line', 400, (P) => `GET\t${P}/a\tHTTP/1.1\r\n${H}\r\n`);
served('two spaces after the method (whitespace-delimited, RFC 9112 §3)', ['GET /a'], (P) => `GET  ${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('leading space before the method', 400, (P) => ` GET ${P}/a HTTP/1.1\r\n${H}\r\n`);

// Chunked framing.
const chunked = (P: string, body: string): string => post(P, 'Transfer-Encoding: chunked\r\n', body);
refused('chunk size not hex', 400, (P) => chunked(P, 'zz\r\nhello\r\n0\r\n\r\n'));
refused('chunk size overflow', 400, (P) => chunked(P, 'ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n'));
refused('chunk size negative', 400, (P) => chunked(P, '-3\r\nabc\r\n0\r\n\r\n'));
refused('chunk size 0x-prefixed', 400, (P) => chunked(P, '0x5\r\nhello\r\n0\r\n\r\n'));
refused('chunk size empty', 400, (P) => chunked(P, '\r\nhello\r\n0\r\n\r\n'));
refused('chunk size with a space', 400, (P) => chunked(P, '5 \r\nhello\r\n0\r\n\r\n'));
refused('chunk data longer than its size', 400, (P) => chunked(P, '3\r\nabcXX\r\n0\r\n\r\n'));
refused('chunk size line ending in bare LF', 400, (P) => chunked(P, '5\nhello\r\n0\r\n\r\n'));
refused('chunk data ending in bare LF', 400, (P) => chunked(P, '5\r\nhello\n0\r\n\r\n'));
refused('chunk extension with a bare CR', 400, (P) => chunked(P, '5;a=b\rc\r\nhello\r\n0\r\n\r\n'));
refused('chunk extension of 100 KiB', 400, (P) => chunked(P, `5;a=${'x'.repeat(100 * 1024)}\r\nhello\r\n0\r\n\r\n`));
refused('invalid trailer field name', 400, (P) => chunked(P, '5\r\nhello\r\n0\r\nBad Trailer: x\r\n\r\n'));
refused('obs-folded trailer', 400, (P) => chunked(P, '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n'));
refused('invalid trailers on a chunked GET', 400, (P) => get(P, 'Transfer-Encoding: chunked\r\n') + '0\r\nBad Trailer: x\r\n\r\n');
// Trailer fields end with their message: never fields (or URL) of the next pipelined request.
served('trailer fields stay with their message', ['POST /a', 'GET /b'],
  (P) => chunked(P, '5\r\nhello\r\n0\r\nX-Injected: 1\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n') + `GET ${P}/b HTTP/1.1\r\n${H}\r\n`,
  { check: (seen) => {
    expect(seen[1].headers['x-injected']).toBeUndefined();
    expect(seen[1].headers['x-forwarded-for']).toBe('127.0.0.1');
  } });
served('chunk extensions', ['POST /a'], (P) => chunked(P, '5;name=value;flag\r\nhello\r\n0;end\r\n\r\n'));
served('valid trailer fields', ['POST /a'], (P) => chunked(P, '5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n'));
served('upper-case hex chunk size', ['POST /a'], (P) => chunked(P, `A\r\n${'x'.repeat(10)}\r\n0\r\n\r\n`));
served('chunk size with leading zeros', ['POST /a'], (P) => chunked(P, '0005\r\nhello\r\n0\r\n\r\n'));

// Request targets and methods.
// Absolute-form (RFC 9112 §3.2.2): accepted; the target sees origin-form and the URI's authority as its only Host.
const hostIs = (host: string) => (seen: Array<{ headers: Record<string, string | string[] | undefined> }>): void => {
  expect(seen[0].headers.host).toBe(host);
};
served('absolute-form target: its authority replaces Host', ['GET /a'], (P) => `GET http://other.test${P}/a HTTP/1.1\r\n${H}\r\n`, { check: hostIs('other.test') });
served('absolute-form with the LB host', ['GET /a?q=1'], (P) => `GET http://lb.test${P}/a?q=1 HTTP/1.1\r\n${H}\r\n`, { check: hostIs('lb.test') });
served('https absolute-form, upper-case scheme, a port', ['GET /a'], (P) => `GET HTTPS://other.test:8443${P}/a HTTP/1.1\r\n${H}\r\n`, { check: hostIs('other.test:8443') });
served('absolute-form on HTTP/1.0 without Host', ['GET /a'], (P) => `GET http://other.test${P}/a HTTP/1.0\r\n\r\n`, { check: hostIs('other.test'), close: true });
refused('absolute-form with userinfo', 400, (P) => `GET http://lb.test@evil.test${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('absolute-form with an empty authority', 400, (P) => `GET http://${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('absolute-form with another scheme', 400, (P) => `GET ftp://lb.test${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('absolute-form still needs a Host on HTTP/1.1', 400, (P) => `GET http://lb.test${P}/a HTTP/1.1\r\n\r\n`);
refused('absolute-form with a bad port', 400, (P) => `GET http://lb.test:80a${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('asterisk-form on GET', 400, () => `GET * HTTP/1.1\r\n${H}\r\n`);
refused('asterisk-form on OPTIONS', 400, () => `OPTIONS * HTTP/1.1\r\n${H}\r\n`);
refused('authority-form on GET', 400, () => `GET lb.test:80 HTTP/1.1\r\n${H}\r\n`);
refused('CONNECT', 405, () => 'CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n');
refused('CONNECT with a tail', 405, (P) => `CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n${SMUG(P)}`);
refused('CONNECT to a path', 405, (P) => `CONNECT ${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('lower-case method', 400, (P) => `get ${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('unknown method', 400, (P) => `FOO ${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('method with a symbol', 400, (P) => `G@T ${P}/a HTTP/1.1\r\n${H}\r\n`);
refused('64-character method', 400, (P) => `${'X'.repeat(64)} ${P}/a HTTP/1.1\r\n${H}\r\n`);
served('empty lines before the request line (RFC 9112 §2.2)', ['GET /a'], (P) => `\r\n\r\n${get(P)}`);
refused('garbage bytes', 400, () => '\u0001\u0002\u0003\r\n\r\n');
served('a #fragment is not sent on', ['GET /a'], (P) => `GET ${P}/a#frag HTTP/1.1\r\n${H}\r\n`, {
  check: (seen) => expect(seen[0].url.endsWith('/a')).toBe(true),
});
served('query with a fragment', ['GET /a?x=1'], (P) => `GET ${P}/a?x=1#f HTTP/1.1\r\n${H}\r\n`);
served('PATCH', ['PATCH /a'], (P) => `PATCH ${P}/a HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nab`);

// Host.
refused('Host missing (HTTP/1.1)', 400, (P) => `GET ${P}/a HTTP/1.1\r\nX-A: b\r\n\r\n`);
refused('Host twice, different', 400, (P) => `GET ${P}/a HTTP/1.1\r\n${H}Host: evil.test\r\n\r\n`);
refused('Host twice, equal', 400, (P) => `GET ${P}/a HTTP/1.1\r\n${H}${H}\r\n`);
refused('Host twice on HTTP/1.0', 400, (P) => `GET ${P}/a HTTP/1.0\r\n${H}Host: evil.test\r\n\r\n`);
for (const [label, value] of [['with a space', 'a b'], ['with userinfo', 'evil@lb.test'], ['with a path', 'lb.test/x'],
  ['with a letter port', 'lb.test:abc'], ['with a long port', 'lb.test:123456'], ['two ports', 'lb.test:80:80'],
  ['unclosed IP literal', '[::1'], ['empty IP literal', '[]:80'], ['with a backslash', 'lb.test\\x'],
  ['list', 'lb.test, evil.test'], ['with a quote', 'lb"test'], ['with a question mark', 'lb.test?x'],
  ['with a fragment', 'lb.test#x'], ['with non-ASCII', 'l\u00e9.test']] as const) {
  refused(`Host ${label}`, 400, (P) => `GET ${P}/a HTTP/1.1\r\nHost: ${value}\r\n\r\n`);
}
for (const [label, value] of [['IPv4 with port', '127.0.0.1:8080'], ['IPv6 literal with port', '[::1]:80'],
  ['empty', ''], ['empty port', 'lb.test:'], ['pct-encoded', 'lb%2Etest']] as const) {
  served(`Host ${label}`, ['GET /a'], (P) => `GET ${P}/a HTTP/1.1\r\nHost: ${value}\r\n\r\n`);
}
/**
 * HTTP/1.0 clients asking for keep-alive: node:http answers chunked, which a 1.0 client cannot
 * read, so the LB sends the body close-delimited (and closes); python sends a Content-Length.
 */
const HTTP10_KEEP = { close: true, py: { close: false } };
served('no Host on HTTP/1.0', ['GET /a'], (P) => `GET ${P}/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`, HTTP10_KEEP);
served('Connection: Host does not remove Host', ['GET /a'], (P) => get(P, 'Connection: Host\r\n'), {
  check: (seen) => expect(seen[0].headers.host).toBe('lb.test'),
});
served('Connection: Content-Length does not remove the framing', ['POST /a'],
  (P) => post(P, 'Connection: Content-Length, Transfer-Encoding\r\nContent-Length: 5\r\n', 'hello'));
served('Connection: X-Secret removes X-Secret', ['GET /a'], (P) => get(P, 'Connection: X-Secret\r\nX-Secret: 1\r\n'), {
  check: (seen) => expect(seen[0].headers['x-secret']).toBeUndefined(),
});

// Versions, HTTP/0.9, HTTP/2, TLS.
// llhttp waits for more after a version-less line: the headers timeout answers it.
refused('HTTP/0.9 request line', 408, (P) => `GET ${P}/a\r\n`);
refused('HTTP/0.9 version', 400, (P) => `GET ${P}/a HTTP/0.9\r\n\r\n`);
refused('HTTP/2.0 version', 505, (P) => `GET ${P}/a HTTP/2.0\r\n${H}\r\n`);
refused('HTTP/1.x', 400, (P) => `GET ${P}/a HTTP/1.x\r\n${H}\r\n`);
refused('http/1.1 in lower case', 400, (P) => `GET ${P}/a http/1.1\r\n${H}\r\n`);
refused('HTTP/12.1', 400, (P) => `GET ${P}/a HTTP/12.1\r\n${H}\r\n`);
refused('HTTP/1.1 with trailing garbage', 400, (P) => `GET ${P}/a HTTP/1.1x\r\n${H}\r\n`);
refused('HTTP/2 connection preface', 400, () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
refused('TLS ClientHello on a plain port', 400, () => '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003' + 'x'.repeat(40));
refused('SSLv2 hello on a plain port', 400, () => '\u0080\u002e\u0001\u0003\u0001' + 'y'.repeat(44));
served('HTTP/1.0 keep-alive', ['GET /a'], (P) => `GET ${P}/a HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`, HTTP10_KEEP);
vector({ name: 'HTTP/1.0 without keep-alive', send: (P) => `GET ${P}/a HTTP/1.0\r\n${H}\r\n`, statuses: [200], close: true, target: ['GET /a'] });

// Pipelining with tails.
served('two GETs in one write', ['GET /a', 'GET /b'], (P) => get(P) + `GET ${P}/b HTTP/1.1\r\n${H}\r\n`);
served('three GETs in one write', ['GET /a', 'GET /b', 'GET /c'], (P) => get(P) + `GET ${P}/b HTTP/1.1\r\n${H}\r\n` + `GET ${P}/c HTTP/1.1\r\n${H}\r\n`);
vector({ name: 'a body longer than its Content-Length (tail is a bad request)', send: (P) => `POST ${P}/pay HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloXYZ\r\n\r\n`,
  statuses: [200, 400], close: true, target: ['POST /pay'] });
vector({ name: 'pipelined request with Connection: close, then one stray byte', send: (P) => `GET ${P}/v1 HTTP/1.1\r\n${H}\r\nGET ${P}/v2 HTTP/1.1\r\n${H}Connection: close\r\n\r\nX`,
  statuses: [200, 200], close: true, target: ['GET /v1', 'GET /v2'] });
vector({ name: 'a request after Connection: close is not read', send: (P) => get(P, 'Connection: close\r\n') + SMUG(P),
  statuses: [200], close: true, target: ['GET /a'] });
vector({ name: 'a GET then garbage', send: (P) => `${get(P)}GARBAGE\r\n\r\n`, statuses: [200, 400], close: true, target: ['GET /a'] });
vector({ name: 'a GET then a request without Host', send: (P) => `${get(P)}GET ${P}/b HTTP/1.1\r\n\r\n`, statuses: [200, 400], close: true, target: ['GET /a'] });
vector({ name: 'a GET then a request with a bad Transfer-Encoding', send: (P) => `${get(P)}POST ${P}/b HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`,
  statuses: [200, 501], close: true, target: ['GET /a'] });
vector({ name: 'a GET then invalid trailers on the next', send: (P) => get(P) + chunked(P, '0\r\nBad Trailer: x\r\n\r\n'),
  statuses: [200, 400], close: true, target: ['GET /a'] });
vector({ name: 'a GET then the HTTP/2 preface', send: (P) => `${get(P)}PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, statuses: [200, 400], close: true, target: ['GET /a'] });
vector({ name: 'a GET then a CL/TE conflict', send: (P) => get(P) + post(P, 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUG(P)}`),
  statuses: [200, 400], close: true, target: ['GET /a'] });
served('POST with a body, then a GET', ['POST /a', 'GET /b'], (P) => post(P, 'Content-Length: 5\r\n', 'hello') + `GET ${P}/b HTTP/1.1\r\n${H}\r\n`);
served('chunked POST, then a GET', ['POST /a', 'GET /b'], (P) => chunked(P, '5\r\nhello\r\n0\r\n\r\n') + `GET ${P}/b HTTP/1.1\r\n${H}\r\n`);
served('HEAD, then a GET', ['HEAD /a', 'GET /b'], (P) => `HEAD ${P}/a HTTP/1.1\r\n${H}\r\nGET ${P}/b HTTP/1.1\r\n${H}\r\n`);

// Upgrade with tails: nothing after the head reaches the target before it answered 101.
// These targets refuse (they answer 200): the connection goes on as HTTP/1.1 and the tail is
// parsed as the client's next request, through every check (the forged X-Forwarded-For gets
// the real client appended, a bad tail is answered 400).
const upgrade = (P: string, proto: string): string => `GET ${P}/ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: ${proto}\r\n\r\n`;
const forwardedFor = (seen: Parameters<NonNullable<Vector['check']>>[0]): void => {
  expect(seen[1].headers['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1');
};
served('refused WebSocket upgrade, then a request in the same write', ['GET /ws', 'GET /SMUG'], (P) => upgrade(P, 'websocket') + SMUG(P), { check: forwardedFor });
served('refused h2c upgrade, then a request in the same write', ['GET /ws', 'GET /SMUG'], (P) => upgrade(P, 'h2c') + SMUG(P), { check: forwardedFor });
served('refused upgrade, then a POST in the same write', ['GET /ws', 'POST /a'], (P) => upgrade(P, 'websocket') + post(P, 'Content-Length: 5\r\n', 'hello'));
vector({ name: 'refused upgrade, then a request with a bad Host', send: (P) => `${upgrade(P, 'websocket')}GET ${P}/SMUG HTTP/1.1\r\nHost: evil@internal\r\n\r\n`,
  statuses: [200, 400], close: true, target: ['GET /ws'] });
vector({ name: 'refused upgrade, then a CL/TE conflict', send: (P) => upgrade(P, 'websocket') + post(P, 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUG(P)}`),
  statuses: [200, 400], close: true, target: ['GET /ws'] });
vector({ name: 'refused upgrade, then garbage', send: (P) => `${upgrade(P, 'websocket')}\u0000\u0001garbage\r\n\r\n`, statuses: [200, 400], close: true, target: ['GET /ws'] });
vector({ name: 'an upgrade pipelined behind a GET', send: (P) => get(P) + upgrade(P, 'websocket') + SMUG(P), statuses: [200], close: true, target: ['GET /a'] });
served('Upgrade without Connection: upgrade is a plain request; the tail is parsed as the next one', ['GET /ws', 'GET /SMUG'],
  (P) => `GET ${P}/ws HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n${SMUG(P)}`, {
    check: (seen) => expect(seen[1].headers['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1'),
  });
refused('Upgrade on CONNECT', 405, () => 'CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
refused('Upgrade without Host', 400, (P) => `GET ${P}/ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);

// Expect.
vector({ name: 'Expect: 100-continue', send: (P) => post(P, 'Expect: 100-continue\r\nContent-Length: 5\r\n', 'hello'), statuses: [100, 200], close: false, target: ['POST /a'] });
vector({ name: 'Expect: 100-Continue (case)', send: (P) => post(P, 'Expect: 100-Continue\r\nContent-Length: 5\r\n', 'hello'), statuses: [100, 200], close: false, target: ['POST /a'] });
refused('Expect: something else', 417, (P) => post(P, 'Expect: something\r\nContent-Length: 5\r\n', 'hello'));
refused('Expect: 100-continue plus another', 417, (P) => post(P, 'Expect: 100-continue, x\r\nContent-Length: 5\r\n', 'hello'));
refused('Expect: empty', 417, (P) => post(P, 'Expect: \r\nContent-Length: 5\r\n', 'hello'));
served('Expect on HTTP/1.0 is ignored', ['POST /a'], (P) => `POST ${P}/a HTTP/1.0\r\n${H}Connection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello`, HTTP10_KEEP);

// Oversized.
refused('20 KiB field value', 431, (P) => get(P, `X-Big: ${'a'.repeat(20 * 1024)}\r\n`));
refused('20 KiB target', 431, (P) => `GET ${P}/a?${'a'.repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`);
refused('20 KiB field name', 431, (P) => get(P, `X-${'n'.repeat(20 * 1024)}: 1\r\n`));
refused('3000 fields (header block over 16 KiB)', 431, (P) => get(P, Array.from({ length: 3000 }, (_, i) => `X-${i}: 1\r\n`).join('')));
// python's http.server takes at most 100 fields: its own 431 is relayed.
served('500 small fields (within 16 KiB)', ['GET /a'], (P) => get(P, Array.from({ length: 500 }, (_, i) => `X-${i}: 1\r\n`).join('')),
  { py: { statuses: [431], target: [] } });
served('a 15 KiB header block', ['GET /a'], (P) => get(P, `X-Big: ${'a'.repeat(15 * 1024)}\r\n`));

// ---- the run ------------------------------------------------------------------------------

interface Seen { method: string; url: string; headers: Record<string, string | string[] | undefined> }
interface Setup { port: number; seen: () => Seen[]; settleMs: number }

let s: StartedDataPlane;
let nodeBe: HttpBackend;
let pyBe: PythonBackend;
const setups: Record<'node' | 'python', Setup> = {} as Record<'node' | 'python', Setup>;

beforeAll(async () => {
  nodeBe = await startHttpBackend('be', BE);
  pyBe = await startPythonBackend(BE);
  const nodePort = await freePort(LB);
  const pyPort = await freePort(LB);
  s = await startDataPlane(lbConfig([listener('node', nodePort, 'node', { idleTimeoutMs: 1500 }), listener('py', pyPort, 'py', { idleTimeoutMs: 1500 })],
    [backend('node', [target('n', BE, nodeBe.port)]), backend('py', [target('p', BE, pyBe.port)])]), LB);
  setups.node = { port: nodePort, seen: () => nodeBe.seen, settleMs: 0 };
  // The python target reports what it executed over a pipe: give the last line a moment.
  setups.python = { port: pyPort, seen: () => pyBe.seen, settleMs: 30 };
});
afterAll(async () => {
  await s.dp.close(200);
  await nodeBe.close();
  await pyBe.close();
});

/**
 * Writes `data` and reads until the LB closes, or until `expected` status lines arrived and
 * nothing more came for a short grace (the connection is then known to stay open).
 */
function exchange(port: number, data: Buffer, expected: number): Promise<{ statuses: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: LB, port });
    let text = '';
    let closed = false;
    let grace: NodeJS.Timeout | null = null;
    const statuses = (): number[] => [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
    const done = (): void => {
      clearTimeout(guard);
      if (grace !== null) clearTimeout(grace);
      sock.destroy();
      resolve({ statuses: statuses(), closed });
    };
    const guard = setTimeout(done, 4000);
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (grace !== null) clearTimeout(grace);
      if (statuses().length >= expected) grace = setTimeout(done, 150);
    });
    sock.on('error', () => { closed = true; });
    sock.on('close', () => { closed = true; done(); });
    sock.on('connect', () => sock.write(data));
  });
}

test(`the corpus has at least 150 distinct vectors (${V.length})`, () => {
  expect(V.length).toBeGreaterThanOrEqual(150);
  expect(new Set(V.map((v) => v.name)).size).toBe(V.length);
});

describe.each(['node', 'python'] as const)('in front of %s', (kind) => {
  test.each(V.map((v, i) => [v.name, i] as const))('%s', async (_name, i) => {
    const v = V[i];
    const want: Outcome = kind === 'python' && v.py !== undefined ? { ...v, ...v.py } : v;
    const P = `/v${i}`;
    const setup = setups[kind];
    const r = await exchange(setup.port, Buffer.from(v.send(P), 'latin1'), want.statuses.length);
    if (setup.settleMs > 0) await new Promise((res) => setTimeout(res, setup.settleMs));
    const mine = setup.seen().filter((x) => x.url === P || x.url.startsWith(`${P}/`) || x.url.startsWith(`${P}?`));
    expect({ statuses: r.statuses, closed: r.closed, target: mine.map((x) => `${x.method} ${x.url.slice(P.length)}`) })
      .toEqual({ statuses: want.statuses, closed: want.close, target: want.target });
    if (v.check !== undefined) v.check(mine);
  });

  test('the target executed nothing but the vectors\' own requests, and the LB still serves', async () => {
    const stray = setups[kind].seen().filter((x) => !/^\/v\d+(?:[/?]|$)/.test(x.url));
    expect(stray.map((x) => `${x.method} ${x.url}`)).toEqual([]);
    const r = await exchange(setups[kind].port, Buffer.from(`GET /v-final HTTP/1.1\r\n${H}\r\n`), 1);
    expect(r.statuses).toEqual([200]);
  });
});
