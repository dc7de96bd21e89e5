/**
 * TLS listeners against clients that hold resources: a handshake that never completes (a
 * silent socket, a ClientHello cut short) is closed at the listener's handshake timeout, and
 * client-initiated renegotiation (openssl s_client's `R`) ends the connection instead of
 * costing a full handshake each time. Also: a TLS connection given back to HTTP after a
 * refused upgrade.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ListenerConfig, TlsConfig } from '../../lib/config/types';
import { backend, lbConfig, listener, target } from './helpers/config';
import { certDir, CertDir } from './helpers/certs';
import { HttpBackend, startHttpBackend, startTcpBackend, TcpBackend } from './helpers/backends';
import { startDataPlane, StartedDataPlane } from './helpers/dataplane';
import { freePort, PARTIAL_CLIENT_HELLO } from './helpers/net';

const LB = '127.0.3.70';
const BE = '127.0.3.71';
/** The handshake timeout is min(idle timeout, 10 s): 1 s here. */
const IDLE_MS = 1000;

let certs: CertDir;
let tlsCfg: TlsConfig;
let httpBe: HttpBackend;
let tcpBe: TcpBackend;
let s: StartedDataPlane;
const ports: Record<'HTTPS' | 'TLS', number> = { HTTPS: 0, TLS: 0 };

beforeAll(async () => {
  certs = certDir();
  tlsCfg = {
    defaultCertificates: [certs.make('default', 'default.test', 'ec')],
    sniCertificates: [],
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: null,
  };
  httpBe = await startHttpBackend('be', BE);
  tcpBe = await startTcpBackend(BE);
  ports.HTTPS = await freePort(LB);
  ports.TLS = await freePort(LB);
  const over: Partial<ListenerConfig> = { tls: tlsCfg, idleTimeoutMs: IDLE_MS };
  s = await startDataPlane(lbConfig([
    listener('https', ports.HTTPS, 'web', { ...over, protocol: 'HTTPS' }),
    listener('tls', ports.TLS, 'tcp', { ...over, protocol: 'TLS' }),
  ], [backend('web', [target('t', BE, httpBe.port)]), backend('tcp', [target('t', BE, tcpBe.port)], { protocol: 'TCP' })]), LB);
});
afterAll(async () => {
  await s.dp.close(200);
  await httpBe.close();
  await tcpBe.close();
  certs.remove();
});

/** Opens a connection, sends `first` (if any), then stays silent; resolves with ms until closed. */
function closedAfter(port: number, first: Buffer | null, limitMs = 8000): Promise<number> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect({ host: LB, port }, () => { if (first !== null) sock.write(first); });
    const guard = setTimeout(() => sock.destroy(), limitMs);
    sock.on('error', () => undefined);
    sock.on('close', () => { clearTimeout(guard); resolve(Date.now() - t0); });
  });
}

describe.each(['HTTPS', 'TLS'] as const)('%s listener', (kind) => {
  test('a silent connection (no ClientHello) is closed at the handshake timeout', async () => {
    const ms = await closedAfter(ports[kind], null);
    expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(ms).toBeLessThan(IDLE_MS + 2500);
  });

  test('a ClientHello cut short is closed at the handshake timeout', async () => {
    const ms = await closedAfter(ports[kind], PARTIAL_CLIENT_HELLO);
    expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(ms).toBeLessThan(IDLE_MS + 2500);
  });

  test('client-initiated renegotiation (openssl s_client -tls1_2, then R) closes the connection', async () => {
    const out = await sClientRenegotiate(ports[kind]);
    expect(out.handshook).toBe(true);
    expect(out.renegotiationRequested).toBe(true);
    // The connection ends shortly after the request (s_client exits on the closed socket);
    // with renegotiation allowed it would stay open until the guard kills it.
    expect(out.exitedByItself).toBe(true);
    expect(out.renegotiated).toBe(false);
  });
});

interface SClientResult { handshook: boolean; renegotiationRequested: boolean; renegotiated: boolean; exitedByItself: boolean }

/**
 * Runs `openssl s_client -tls1_2`, waits for the handshake, sends `R` (renegotiate) and
 * watches whether a second handshake completes and whether the connection ends.
 */
function sClientRenegotiate(port: number): Promise<SClientResult> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-tls1_2', '-connect', `${LB}:${port}`, '-servername', 'default.test'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let handshook = false;
    let requested = false;
    let killed = false;
    const onOut = (d: Buffer): void => {
      out += d.toString();
      if (!handshook && out.includes('Verify return code')) {
        handshook = true;
        // Give s_client a moment to enter its read loop, then ask for renegotiation.
        setTimeout(() => { requested = true; child.stdin.write('R\n'); }, 200);
      }
    };
    child.stdout.on('data', onOut);
    child.stderr.on('data', onOut);
    child.stdin.on('error', () => undefined);
    const guard = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, 6000);
    child.on('exit', () => {
      clearTimeout(guard);
      const afterR = out.slice(out.indexOf('RENEGOTIATING'));
      resolve({
        handshook,
        renegotiationRequested: requested && out.includes('RENEGOTIATING'),
        // s_client prints a second certificate verification after a completed renegotiation.
        renegotiated: out.includes('RENEGOTIATING') && /verify return:1/.test(afterR),
        exitedByItself: !killed,
      });
    });
  });
}

test('HTTPS: after a refused upgrade the TLS connection goes on as HTTP/1.1 with the bytes that followed the head', async () => {
  const text = await new Promise<string>((resolve) => {
    let got = '';
    const s = tls.connect({ host: LB, port: ports.HTTPS, servername: 'default.test', rejectUnauthorized: false }, () => {
      s.write('GET /ws HTTP/1.1\r\nHost: lb.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /after HTTP/1.1\r\nHost: lb.test\r\n\r\n');
    });
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if ((got.match(/HTTP\/1\.1 200 /g) ?? []).length === 2) setTimeout(() => { s.destroy(); resolve(got); }, 100);
    });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
  });
  expect([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([200, 200]);
  expect(httpBe.seen.slice(-2).map((x) => x.url)).toEqual(['/ws', '/after']);
});
