import { BackendPool } from '../../runtime/pool/backend-pool';
import { backendConfig, targets } from './balancer-helpers';

const SECRET = 'c3'.repeat(32);

describe('BackendPool', () => {
  test('picks by the configured algorithm and releases', () => {
    const pool = new BackendPool(backendConfig({ targets: targets([5, 1, 1]) }), SECRET);
    const seq = Array.from({ length: 7 }, () => pool.pick('127.0.0.1', null)!.index);
    expect(seq).toEqual([0, 0, 1, 0, 2, 0, 0]);
    expect(pool.peers.map((p) => p.active)).toEqual([5, 1, 1]);
    pool.release(pool.peers[0]);
    expect(pool.peers[0].active).toBe(4);
    expect(pool.sticky).toBeNull();
  });

  test('active-check verdicts change availability; all down → null', () => {
    const pool = new BackendPool(backendConfig(), SECRET);
    pool.setHealth('t0', false);
    pool.setHealth('t2', false);
    pool.setHealth('unknown', false); // ignored
    for (let i = 0; i < 5; i++) expect(pool.pick('x', null)!.id).toBe('t1');
    pool.setHealth('t1', false);
    expect(pool.pick('x', null)).toBeNull();
    pool.setHealth('t0', true);
    expect(pool.pick('x', null)!.id).toBe('t0');
    const snap = pool.snapshot();
    expect(snap).toMatchObject({ id: 'web', algorithm: 'WEIGHTED_ROUND_ROBIN' });
    expect(snap.targets.map((t) => t.healthy)).toEqual([true, false, false]);
  });

  test('passive ejection takes a target out for failTimeout, then it is probed again', () => {
    const pool = new BackendPool(backendConfig({ passiveHealth: { maxFails: 2, failTimeoutMs: 300 } }), SECRET);
    const t1 = pool.peers[1];
    const now = Date.now();
    expect(pool.reportFailure(t1, now)).toBe(false);
    expect(pool.reportFailure(t1, now)).toBe(true);
    expect(t1.available).toBe(false);
    expect(pool.isEjected('t1')).toBe(true);
    expect(pool.snapshot().targets[1]).toMatchObject({ id: 't1', healthy: true, ejected: true });
    for (let i = 0; i < 20; i++) expect(pool.pick('x', null)!.id).not.toBe('t1');
    expect(pool.pickById('t1')).toBeNull();
    // Ejection ends lazily on the next pick after failTimeout.
    return new Promise<void>((resolve) => setTimeout(() => {
      const ids = new Set(Array.from({ length: 3 }, () => pool.pick('x', null)!.id));
      expect(ids.has('t1')).toBe(true);
      expect(t1.available).toBe(true);
      // Probing: one failure ejects again; a success would have cleared it.
      expect(pool.reportFailure(t1, Date.now())).toBe(true);
      resolve();
    }, 400));
  });

  test('sticky: pickById honours available targets, including weight 0 (draining)', () => {
    const cfg = backendConfig({
      targets: targets([1, 0, 1]),
      sessionPersistence: { cookieName: 'SRV', cookieTimeoutSeconds: 60 },
    });
    const pool = new BackendPool(cfg, SECRET);
    expect(pool.sticky).not.toBeNull();
    const header = pool.sticky!.issue('t1', Date.now()).split(';')[0];
    const id = pool.sticky!.read(header, Date.now());
    expect(id).toBe('t1');
    const peer = pool.pickById(id!)!;
    expect(peer.id).toBe('t1');
    expect(peer.active).toBe(1);
    pool.setHealth('t1', false);
    expect(pool.pickById('t1')).toBeNull();
    expect(pool.pickById('nope')).toBeNull();
    // TCP backends never get cookies, even if the document carried the setting.
    expect(new BackendPool({ ...cfg, protocol: 'TCP' }, SECRET).sticky).toBeNull();
  });

  test('rebuild carries health, ejection and in-flight counts by target id', () => {
    const old = new BackendPool(backendConfig({ algorithm: 'WEIGHTED_LEAST_CONNECTIONS' }), SECRET);
    const inflight = [old.pick('x', null)!, old.pick('x', null)!, old.pick('x', null)!, old.pick('x', null)!];
    // nginx least_conn: t0, then t1 (smooth WRR among the idle t1/t2), t2 (only idle one),
    // then a three-way tie that t2 wins on its accumulated current weight.
    expect(inflight.map((p) => p.id)).toEqual(['t0', 't1', 't2', 't2']);
    expect(old.peers.map((p) => p.active)).toEqual([1, 1, 2]);
    old.setHealth('t2', false);
    old.reportFailure(old.peers[1], Date.now()); // maxFails 1 → ejected

    const nextTargets = [targets([1, 1, 1])[1], targets([1, 1, 1])[0], { ...targets([1])[0], id: 'new', port: 9999 }];
    const next = BackendPool.rebuild(old, backendConfig({ algorithm: 'WEIGHTED_LEAST_CONNECTIONS', targets: nextTargets }), SECRET);
    const byId = Object.fromEntries(next.snapshot().targets.map((t) => [t.id, t]));
    expect(byId.t1).toMatchObject({ healthy: true, ejected: true, active: 1 });
    expect(byId.t0).toMatchObject({ healthy: true, ejected: false, active: 1 });
    expect(byId.new).toMatchObject({ healthy: true, ejected: false, active: 0 });
    expect(next.peers.map((p) => p.available)).toEqual([false, true, true]);

    // Requests started on the old pool finish: the new pool's counts follow, whichever pool
    // the data plane hands them to.
    old.release(inflight[0]);
    expect(old.peers[0].active).toBe(0);
    expect(byIdActive(next)).toEqual({ t1: 1, t0: 0, new: 0 });
    next.release(inflight[1]);
    expect(byIdActive(next)).toEqual({ t1: 0, t0: 0, new: 0 });
    next.release(inflight[2]); // t2 left the config: nothing to decrement, nothing breaks
    expect(byIdActive(next)).toEqual({ t1: 0, t0: 0, new: 0 });
    // Late passive reports on the old pool land in the new one.
    old.reportSuccess(inflight[1]);
    expect(next.reportFailure(next.peers[2], Date.now())).toBe(true);
    expect(BackendPool.rebuild(null, backendConfig(), SECRET).peers.every((p) => p.available && p.active === 0)).toBe(true);

    // Checks switched off in the new config: old verdicts no longer hold.
    const off = BackendPool.rebuild(next, backendConfig({ targets: targets([1, 1, 1]), healthCheck: { ...backendConfig().healthCheck, enabled: false } }), SECRET);
    next.setHealth('t0', false);
    const off2 = BackendPool.rebuild(next, off.config, SECRET);
    expect(off2.snapshot().targets.find((t) => t.id === 't0')!.healthy).toBe(true);
  });
});

function byIdActive(pool: BackendPool): Record<string, number> {
  return Object.fromEntries(pool.peers.map((p) => [p.id, p.active]));
}
