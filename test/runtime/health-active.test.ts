import { ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { BackendServiceConfig, HealthCheckConfig, TargetConfig } from '../../lib/config/types';
import {
  ActiveHealthChecker, CHECK_JITTER, ExpectedCodes, firstCheckDelay, jitteredInterval, UnhealthyReason,
} from '../../runtime/health/active';
import { backendConfig } from './balancer-helpers';
import {
  blackholePort, closeServer, freePort, httpServer, sleep, tcpServer, waitFor,
} from './health-helpers';

type Change = { id: string; healthy: boolean; reason: UnhealthyReason | null; at: number };

function target(id: string, address: string, port: number): TargetConfig {
  return { id, address, port, weight: 10, source: { kind: 'serverGroup', path: 'test/g', instance: null } };
}

function backend(targets: TargetConfig[], hc: Partial<HealthCheckConfig>): BackendServiceConfig {
  const base = backendConfig();
  return backendConfig({ targets, healthCheck: { ...base.healthCheck, intervalMs: 100, timeoutMs: 300, ...hc } });
}

// Everything a test starts is registered here and torn down in afterEach, also on failure.
const checkers: ActiveHealthChecker[] = [];
const servers: Array<{ server: net.Server; sockets?: Set<net.Socket> }> = [];
const procs: ChildProcess[] = [];

function checker(cfg: BackendServiceConfig, changes: Change[], opts = {}): ActiveHealthChecker {
  const c = new ActiveHealthChecker(cfg, (id, healthy, reason) => changes.push({ id, healthy, reason, at: Date.now() }), opts);
  checkers.push(c);
  return c;
}

afterEach(async () => {
  for (const c of checkers.splice(0)) c.stop();
  for (const s of servers.splice(0)) await closeServer(s);
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

const state = (c: ActiveHealthChecker, id: string) => c.states().find((s) => s.targetId === id)!;

describe('active health checks: TCP', () => {
  test('a listening target stays healthy; a refused one goes down after the threshold, and back up', async () => {
    const up = await tcpServer('127.0.2.1');
    servers.push(up);
    const downPort = await freePort('127.0.2.2');
    const changes: Change[] = [];
    const c = checker(backend([target('up', '127.0.2.1', up.port), target('down', '127.0.2.2', downPort)],
      { protocol: 'TCP', unhealthyThreshold: 3, healthyThreshold: 2 }), changes);
    expect(c.states().every((s) => s.healthy && s.lastCheckAt === null)).toBe(true);
    c.start();
    await waitFor('down marked unhealthy', () => changes.length > 0);
    expect(changes).toEqual([{ id: 'down', healthy: false, reason: 'CONNECT_FAILED', at: expect.any(Number) }]);
    expect(state(c, 'down')).toMatchObject({ healthy: false, reason: 'CONNECT_FAILED', consecutiveFailures: 3, consecutiveSuccesses: 0 });
    expect(state(c, 'up')).toMatchObject({ healthy: true, reason: null, consecutiveFailures: 0 });
    expect(state(c, 'up').consecutiveSuccesses).toBeGreaterThanOrEqual(1);
    expect(up.connections.length).toBeGreaterThanOrEqual(1);

    // The target comes up on its port: healthy again after 2 successes.
    const revived = await tcpServer('127.0.2.2', downPort);
    servers.push(revived);
    await waitFor('down back up', () => changes.length > 1);
    expect(changes[1]).toMatchObject({ id: 'down', healthy: true, reason: null });
    expect(revived.connections.length).toBe(2);
    expect(state(c, 'down')).toMatchObject({ healthy: true, reason: null, consecutiveSuccesses: 2, lastFailureReason: 'CONNECT_FAILED' });
  });

  test('health-check port overrides the traffic port (0 = traffic port)', async () => {
    const checkPortServer = await tcpServer('127.0.2.3');
    servers.push(checkPortServer);
    const trafficPort = await freePort('127.0.2.3');
    const changes: Change[] = [];
    const c = checker(backend([target('t', '127.0.2.3', trafficPort)], { protocol: 'TCP', port: checkPortServer.port, unhealthyThreshold: 1 }), changes);
    c.start();
    await waitFor('3 checks on the check port', () => checkPortServer.connections.length >= 3);
    expect(changes).toEqual([]);
    expect(state(c, 't')).toMatchObject({ healthy: true, checkPort: checkPortServer.port, port: trafficPort });
  });

  test('connect timeout when the target never completes the handshake', async () => {
    const hole = await blackholePort('127.0.2.4');
    procs.push(hole.proc);
    const changes: Change[] = [];
    const c = checker(backend([target('t', '127.0.2.4', hole.port)], { protocol: 'TCP', timeoutMs: 150, intervalMs: 200, unhealthyThreshold: 1 }), changes);
    c.start();
    await waitFor('timeout reported', () => changes.length > 0, 8000);
    expect(changes[0]).toMatchObject({ id: 't', healthy: false, reason: 'CONNECT_TIMEOUT' });
  });
});

describe('active health checks: HTTP', () => {
  test('status line matched against the expected codes; Host, path and version as configured', async () => {
    let code = 204;
    const srv = await httpServer('127.0.2.5', () => code);
    servers.push(srv);
    const changes: Change[] = [];
    const c = checker(backend([target('t', '127.0.2.5', srv.port)], {
      protocol: 'HTTP', httpPath: '/healthz?full=1', httpDomain: 'app.example.com', httpVersion: 'HTTP1.1',
      httpCodes: '200,202-207', unhealthyThreshold: 3, healthyThreshold: 2,
    }), changes);
    c.start();
    await waitFor('two checks', () => srv.requests.length >= 2);
    expect(srv.requests[0]).toMatchObject({ method: 'GET', url: '/healthz?full=1', host: 'app.example.com', httpVersion: '1.1' });
    expect(changes).toEqual([]);

    // 201 is outside 200,202-207: down after exactly 3 mismatching checks (fall counted).
    const before = srv.requests.length;
    code = 201;
    await waitFor('mismatch → unhealthy', () => changes.length > 0);
    expect(changes[0]).toMatchObject({ id: 't', healthy: false, reason: 'HTTP_CODE_MISMATCH' });
    // Checks already in flight when the code changed may have answered 204: allow one.
    const failing = srv.requests.length - before;
    expect(failing === 3 || failing === 4).toBe(true);
    expect(state(c, 't')).toMatchObject({ consecutiveFailures: 3 });

    // Rise counted: healthy again after exactly 2 good answers.
    const beforeUp = srv.requests.length;
    code = 200;
    await waitFor('recovered', () => changes.length > 1);
    expect(changes[1]).toMatchObject({ id: 't', healthy: true, reason: null });
    const rising = srv.requests.length - beforeUp;
    expect(rising === 2 || rising === 3).toBe(true);
  });

  test('HTTP/1.0 default; Host falls back to the target address; 3xx accepted by 2xx,3xx', async () => {
    const srv = await httpServer('127.0.2.6', () => 302);
    servers.push(srv);
    const changes: Change[] = [];
    const c = checker(backend([target('t', '127.0.2.6', srv.port)], { protocol: 'HTTP', httpCodes: '2xx,3xx', unhealthyThreshold: 1 }), changes);
    c.start();
    await waitFor('three checks', () => srv.requests.length >= 3);
    expect(srv.requests[0]).toMatchObject({ url: '/', host: '127.0.2.6', httpVersion: '1.0' });
    expect(changes).toEqual([]);
    expect(state(c, 't').consecutiveSuccesses).toBeGreaterThanOrEqual(2);
  });

  test.each([
    ['silent server', 'RECEIVE_RESPONSE_TIMEOUT', (_s: net.Socket) => undefined],
    ['server closes without answering', 'RECEIVE_RESPONSE_FAILED', (s: net.Socket) => s.once('data', () => s.end())],
    ['garbage status line', 'RESPONSE_FORMAT_ERROR', (s: net.Socket) => s.once('data', () => s.end('SSH-2.0-OpenSSH\r\n'))],
    ['endless status line', 'RESPONSE_FORMAT_ERROR', (s: net.Socket) => s.once('data', () => s.write('HTTP/1.1 200 ' + 'x'.repeat(5000)))],
    ['server resets the connection', 'RECEIVE_RESPONSE_FAILED', (s: net.Socket) => s.once('data', () => s.resetAndDestroy())],
  ])('%s → %s', async (_name, reason, behaviour) => {
    const srv = await tcpServer('127.0.2.7', 0, behaviour as (s: net.Socket) => void);
    servers.push(srv);
    const changes: Change[] = [];
    const c = checker(backend([target('t', '127.0.2.7', srv.port)], { protocol: 'HTTP', timeoutMs: 200, unhealthyThreshold: 1 }), changes);
    c.start();
    await waitFor(`${reason} reported`, () => changes.length > 0);
    expect(changes[0]).toMatchObject({ id: 't', healthy: false, reason });
  });
});

describe('scheduling, reload, stop', () => {
  test('jitter: delays vary within ±10 % of the interval; first checks spread, not in lockstep', async () => {
    const samples = Array.from({ length: 1000 }, () => jitteredInterval(1000, Math.random));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(1000 * (1 - CHECK_JITTER));
    expect(Math.max(...samples)).toBeLessThanOrEqual(1000 * (1 + CHECK_JITTER));
    expect(new Set(samples).size).toBeGreaterThan(50);
    expect(jitteredInterval(1000, () => 0)).toBe(900);
    expect(jitteredInterval(1000, () => 1)).toBe(1100);
    expect(firstCheckDelay(5000, () => 0.5)).toBe(500); // within the first second
    expect(firstCheckDelay(200, () => 0.5)).toBe(100); // or the first interval if shorter

    // Real checker, 8 targets on one server: their first checks land at different times.
    const srv = await tcpServer('127.0.2.8');
    servers.push(srv);
    const ts = Array.from({ length: 8 }, (_, i) => target(`t${i}`, '127.0.2.8', srv.port));
    const c = checker(backend(ts, { protocol: 'TCP', intervalMs: 600 }), []);
    const started = Date.now();
    c.start();
    await waitFor('8 first checks', () => srv.connections.length >= 8);
    const first = srv.connections.slice(0, 8);
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(30);
    expect(Math.max(...first) - started).toBeLessThan(600 + 400); // all soon after start
  });

  test('update() keeps state of unchanged ids, checks new targets at once, stops removed ones', async () => {
    const live = await tcpServer('127.0.2.10');
    const removed = await tcpServer('127.0.2.11');
    servers.push(live, removed);
    const deadPort = await freePort('127.0.2.12');
    const changes: Change[] = [];
    const a = target('dead', '127.0.2.12', deadPort);
    const b = target('removed', '127.0.2.11', removed.port);
    const cfg = backend([a, b], { protocol: 'TCP', intervalMs: 1000, unhealthyThreshold: 1 });
    // The first check runs at a random point within the first interval: pin it to 0 for speed.
    const c = checker(cfg, changes, { random: () => 0 });
    c.start();
    await waitFor('dead is down', () => changes.some((ch) => ch.id === 'dead' && !ch.healthy));
    await waitFor('removed checked', () => removed.connections.length >= 1);
    const deadBefore = state(c, 'dead');

    const added = target('added', '127.0.2.10', live.port);
    const t0 = Date.now();
    c.update({ ...cfg, targets: [a, added] });
    expect(c.states().map((s) => s.targetId)).toEqual(['dead', 'added']);
    expect(state(c, 'dead')).toMatchObject({ healthy: false, reason: 'CONNECT_FAILED', lastChangeAt: deadBefore.lastChangeAt });
    expect(state(c, 'added')).toMatchObject({ healthy: true, lastCheckAt: null });
    await waitFor('added checked at once', () => state(c, 'added').lastCheckAt !== null, 2000);
    expect(state(c, 'added').lastCheckAt! - t0).toBeLessThan(800); // not a whole (≥ 900 ms) interval later
    const removedCount = removed.connections.length;
    await sleep(1300);
    expect(removed.connections.length).toBe(removedCount);
    expect(changes.filter((ch) => ch.id === 'dead')).toHaveLength(1); // stayed down, no flapping
    expect(state(c, 'dead').consecutiveFailures).toBeGreaterThanOrEqual(2); // counted on across the reload

    // Invalid settings are refused and change nothing.
    expect(() => c.update({ ...cfg, healthCheck: { ...cfg.healthCheck, protocol: 'HTTP', httpCodes: '2xx,abc' } }))
      .toThrow(/backend web: healthCheck: healthCheck.httpCodes: "abc" in "2xx,abc"/);
    expect(c.states().map((s) => s.targetId)).toEqual(['dead', 'added']);

    // Turning checks off reports every target healthy.
    c.update({ ...cfg, targets: [a, added], healthCheck: { ...cfg.healthCheck, enabled: false } });
    expect(changes[changes.length - 1]).toMatchObject({ id: 'dead', healthy: true, reason: null });
    expect(c.states().every((s) => s.healthy)).toBe(true);
  });

  test('enabled=false: nothing runs, everything healthy; stop() leaves no checks behind', async () => {
    const srv = await tcpServer('127.0.2.13');
    servers.push(srv);
    const off = checker(backend([target('t', '127.0.2.13', srv.port)], { protocol: 'TCP', enabled: false, intervalMs: 50 }), []);
    off.start();
    await sleep(300);
    expect(srv.connections).toHaveLength(0);
    expect(off.states()[0]).toMatchObject({ healthy: true, lastCheckAt: null });

    const on = checker(backend([target('t', '127.0.2.13', srv.port)], { protocol: 'TCP', intervalMs: 50 }), []);
    on.start();
    await waitFor('checks running', () => srv.connections.length >= 3);
    on.stop();
    await sleep(50); // a check already connected may land
    const count = srv.connections.length;
    await sleep(300);
    expect(srv.connections.length).toBe(count);
  });

  test('a throwing onChange callback does not stop the checks', async () => {
    const port = await freePort('127.0.2.14');
    let calls = 0;
    const errors: string[] = [];
    const c = new ActiveHealthChecker(backend([target('t', '127.0.2.14', port)], { protocol: 'TCP', intervalMs: 50, unhealthyThreshold: 1 }),
      () => { calls++; throw new Error('boom'); },
      { onCallbackError: (id, err) => errors.push(`${id}: ${(err as Error).message}`) });
    checkers.push(c);
    c.start();
    await waitFor('callback called', () => calls === 1);
    const checked = state(c, 't').consecutiveFailures;
    await waitFor('checks continue', () => state(c, 't').consecutiveFailures >= checked + 2);
    expect(errors).toEqual(['t: boom']);
    expect(state(c, 't')).toMatchObject({ healthy: false, reason: 'CONNECT_FAILED' });
  });

  test('bad settings are refused with the field and value', () => {
    expect(() => new ExpectedCodes('2xx,700')).toThrow(/"700" is not a range of status codes/);
    expect(() => new ExpectedCodes('')).toThrow(/httpCodes must list status codes/);
    const codes = new ExpectedCodes('200, 202-207,3xx');
    expect([200, 201, 202, 207, 208, 300, 399, 400].map((n) => codes.matches(n))).toEqual([true, false, true, true, false, true, true, false]);
    expect(() => checker(backend([], { protocol: 'HTTP', httpPath: '/a b' }), [])).toThrow(/httpPath must start with "\/" .* got "\/a b"/);
    expect(() => checker(backend([], { protocol: 'HTTP', httpDomain: 'x\r\nEvil: 1' }), [])).toThrow(/httpDomain/);
    expect(() => checker(backend([], { intervalMs: 0 }), [])).toThrow(/healthCheck.intervalMs must be an integer >= 1, got 0/);
  });
});
