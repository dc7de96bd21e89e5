/**
 * Active health checks of one backend service's targets (run once per node, by the primary;
 * the workers are told the verdicts).
 *
 * HAProxy-like semantics: targets start healthy; `unhealthyThreshold` consecutive failed checks
 * take one down, `healthyThreshold` consecutive successes bring it back. Each target has its own
 * timer: the first check runs soon after start (a random point in the first
 * min(interval, 1 s)), later ones every interval ± 10 % (HAProxy spread-checks), so a large
 * backend is not probed in lockstep. A check never overlaps the previous one of the same
 * target. With `enabled: false` nothing runs and every target is healthy.
 *
 * The checker never throws out of a timer: any error is a failed check (or, from the onChange
 * callback, a process warning). stop() cancels every timer and destroys every socket.
 */
import { BackendServiceConfig, HealthCheckConfig, TargetConfig } from '../../lib/config/types';
import { ExpectedCodes } from './expected-codes';
import { buildHealthRequest, Probe, ProbeSpec, runProbe } from './probe';
import { UnhealthyReason } from './reasons';

export { UnhealthyReason } from './reasons';
export { ExpectedCodes } from './expected-codes';

export interface TargetHealthState {
  targetId: string;
  address: string;
  port: number;
  healthy: boolean;
  /** Why the target is unhealthy (the last failed check's reason); null while healthy. */
  reason: UnhealthyReason | null;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  lastCheckAt: number | null;
  lastChangeAt: number | null;
  /** Reason of the most recent failed check, even while the target is still healthy. */
  lastFailureReason: UnhealthyReason | null;
  /** Port the checks go to (the health-check port, or the traffic port when that is 0). */
  checkPort: number;
}

/** Relative spread of the check interval (± this fraction). */
export const CHECK_JITTER = 0.1;
/** The first check runs within this long after start (or within one interval, if shorter). */
export const FIRST_CHECK_WITHIN_MS = 1000;

/** Delay before a target's first check: uniformly spread so targets do not start together. */
export function firstCheckDelay(intervalMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(intervalMs, FIRST_CHECK_WITHIN_MS));
}

/** Interval until the next check starts, jittered ± CHECK_JITTER. */
export function jitteredInterval(intervalMs: number, random: () => number): number {
  return Math.max(1, Math.round(intervalMs * (1 + CHECK_JITTER * (2 * random() - 1))));
}

export interface ActiveHealthCheckerOptions {
  /** Source of randomness for jitter (tests); Math.random by default. */
  random?: () => number;
  /** Told when the onChange callback throws (the checks carry on); a process warning by default. */
  onCallbackError?: (targetId: string, err: unknown) => void;
}

interface Entry {
  target: TargetConfig;
  state: TargetHealthState;
  spec: ProbeSpec;
  timer: NodeJS.Timeout | null;
  probe: Probe | null;
  /** When the running (or last) check started. */
  startedAt: number;
}

export class ActiveHealthChecker {
  private backend: BackendServiceConfig;
  private codes: ExpectedCodes | null;
  private readonly entries = new Map<string, Entry>();
  private running = false;
  private readonly random: () => number;
  private readonly onCallbackError: (targetId: string, err: unknown) => void;

  constructor(backend: BackendServiceConfig,
    private readonly onChange: (targetId: string, healthy: boolean, reason: UnhealthyReason | null) => void,
    options: ActiveHealthCheckerOptions = {}) {
    this.random = options.random ?? Math.random;
    this.onCallbackError = options.onCallbackError ?? ((id, err) => process.emitWarning(
      `health checker onChange(${id}) threw: ${err instanceof Error ? err.message : String(err)}`, 'AlbHealthCheckWarning'));
    this.codes = compileChecks(backend);
    this.backend = backend;
    for (const t of backend.targets) this.entries.set(t.id, this.newEntry(t));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.backend.healthCheck.enabled) return;
    for (const e of this.entries.values()) this.schedule(e, firstCheckDelay(this.backend.healthCheck.intervalMs, this.random));
  }

  stop(): void {
    this.running = false;
    for (const e of this.entries.values()) this.cancel(e);
  }

  /**
   * New config for the backend (reload). Targets with an unchanged id keep their state; new
   * ones start healthy and are checked at once; removed ones stop. Throws (changing nothing)
   * when the new health-check settings are invalid.
   */
  update(backend: BackendServiceConfig): void {
    const codes = compileChecks(backend);
    const prev = this.backend.healthCheck;
    const next = backend.healthCheck;
    const settingsChanged = JSON.stringify(prev) !== JSON.stringify(next);
    this.backend = backend;
    this.codes = codes;

    const keep = new Set(backend.targets.map((t) => t.id));
    for (const [id, e] of this.entries) {
      if (!keep.has(id)) {
        this.cancel(e);
        this.entries.delete(id);
      }
    }
    const fresh: Entry[] = [];
    for (const t of backend.targets) {
      const e = this.entries.get(t.id);
      if (e === undefined) {
        const created = this.newEntry(t);
        this.entries.set(t.id, created);
        fresh.push(created);
        continue;
      }
      const moved = e.target.address !== t.address || e.target.port !== t.port;
      e.target = t;
      e.state.address = t.address;
      e.state.port = t.port;
      e.spec = this.specFor(t);
      e.state.checkPort = e.spec.port;
      if (moved || settingsChanged) {
        // Re-time the next check under the new settings (a long old interval must not delay a
        // short new one); a check running against the old address is abandoned.
        this.cancel(e);
        if (this.running && next.enabled) this.schedule(e, firstCheckDelay(next.intervalMs, this.random));
      }
    }

    if (!next.enabled) {
      // Checks off: stop everything and report every target healthy (nothing vouches otherwise).
      for (const e of this.entries.values()) {
        this.cancel(e);
        e.state.consecutiveFailures = 0;
        e.state.consecutiveSuccesses = 0;
        if (!e.state.healthy) this.transition(e, true, null, Date.now());
      }
      return;
    }
    if (!this.running) return;
    for (const e of fresh) this.schedule(e, 0);
    if (!prev.enabled) {
      for (const e of this.entries.values()) {
        if (e.timer === null && e.probe === null) this.schedule(e, firstCheckDelay(next.intervalMs, this.random));
      }
    }
  }

  /** Copies of every target's state, in config order. */
  states(): TargetHealthState[] {
    return this.backend.targets.map((t) => ({ ...this.entries.get(t.id)!.state }));
  }

  private newEntry(t: TargetConfig): Entry {
    const spec = this.specFor(t);
    return {
      target: t,
      spec,
      timer: null,
      probe: null,
      startedAt: 0,
      state: {
        targetId: t.id,
        address: t.address,
        port: t.port,
        healthy: true,
        reason: null,
        consecutiveSuccesses: 0,
        consecutiveFailures: 0,
        lastCheckAt: null,
        lastChangeAt: null,
        lastFailureReason: null,
        checkPort: spec.port,
      },
    };
  }

  private specFor(t: TargetConfig): ProbeSpec {
    const hc = this.backend.healthCheck;
    const port = hc.port === 0 ? t.port : hc.port;
    const host = hc.httpDomain ?? (t.address.includes(':') ? `[${t.address}]` : t.address);
    return {
      protocol: hc.protocol,
      address: t.address,
      port,
      timeoutMs: hc.timeoutMs,
      request: hc.protocol === 'HTTP' ? buildHealthRequest(hc.httpVersion, host, hc.httpPath) : null,
      codes: this.codes,
    };
  }

  private schedule(e: Entry, delayMs: number): void {
    if (e.timer !== null) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = null;
      this.check(e);
    }, Math.max(0, delayMs));
    // The checker alone must never keep a process alive.
    e.timer.unref();
  }

  private check(e: Entry): void {
    if (!this.running || this.entries.get(e.target.id) !== e) return;
    e.startedAt = Date.now();
    try {
      e.probe = runProbe(e.spec, (reason) => {
        e.probe = null;
        this.record(e, reason);
      });
    } catch {
      // runProbe reports failures through its callback; a throw here is a bug in the probe,
      // and still only a failed check.
      e.probe = null;
      this.record(e, 'CONNECT_FAILED');
    }
  }

  private record(e: Entry, reason: UnhealthyReason | null): void {
    if (!this.running || this.entries.get(e.target.id) !== e) return;
    const hc = this.backend.healthCheck;
    const now = Date.now();
    const s = e.state;
    s.lastCheckAt = now;
    if (reason === null) {
      s.consecutiveSuccesses++;
      s.consecutiveFailures = 0;
      if (!s.healthy && s.consecutiveSuccesses >= hc.healthyThreshold) this.transition(e, true, null, now);
    } else {
      s.consecutiveFailures++;
      s.consecutiveSuccesses = 0;
      s.lastFailureReason = reason;
      if (s.healthy && s.consecutiveFailures >= hc.unhealthyThreshold) this.transition(e, false, reason, now);
      else if (!s.healthy) s.reason = reason;
    }
    if (hc.enabled) {
      const elapsed = now - e.startedAt;
      this.schedule(e, jitteredInterval(hc.intervalMs, this.random) - elapsed);
    }
  }

  private transition(e: Entry, healthy: boolean, reason: UnhealthyReason | null, now: number): void {
    e.state.healthy = healthy;
    e.state.reason = reason;
    e.state.lastChangeAt = now;
    try {
      this.onChange(e.target.id, healthy, reason);
    } catch (err) {
      try {
        this.onCallbackError(e.target.id, err);
      } catch {
        // Reporting the error must not break the checks either.
      }
    }
  }

  private cancel(e: Entry): void {
    if (e.timer !== null) {
      clearTimeout(e.timer);
      e.timer = null;
    }
    if (e.probe !== null) {
      e.probe.cancel();
      e.probe = null;
    }
  }
}

/** Validates the health-check settings; returns the compiled expected codes for HTTP checks. */
/**
 * Checks a backend's health-check settings (and target id uniqueness) the way the checker's
 * constructor and update() do, without building per-target state: the primary refuses a bad
 * config with it before any worker sees the config. Throws with the reason.
 */
export function checkHealthSettings(backend: BackendServiceConfig): void {
  compileChecks(backend);
}

function compileChecks(backend: BackendServiceConfig): ExpectedCodes | null {
  const hc: HealthCheckConfig = backend.healthCheck;
  const ids = new Set<string>();
  for (const t of backend.targets) {
    if (ids.has(t.id)) throw new Error(`backend ${backend.id}: target id ${JSON.stringify(t.id)} appears twice; ids must be unique`);
    ids.add(t.id);
  }
  const where = `backend ${backend.id}: healthCheck`;
  const positiveInt = (name: keyof HealthCheckConfig, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where}.${name} must be an integer >= 1, got ${JSON.stringify(v)}`);
  };
  positiveInt('intervalMs', hc.intervalMs);
  positiveInt('timeoutMs', hc.timeoutMs);
  positiveInt('healthyThreshold', hc.healthyThreshold);
  positiveInt('unhealthyThreshold', hc.unhealthyThreshold);
  if (!Number.isInteger(hc.port) || hc.port < 0 || hc.port > 65535) {
    throw new Error(`${where}.port must be an integer 0..65535 (0 = traffic port), got ${JSON.stringify(hc.port)}`);
  }
  if (hc.protocol !== 'TCP' && hc.protocol !== 'HTTP') {
    throw new Error(`${where}.protocol must be TCP or HTTP, got ${JSON.stringify(hc.protocol)}`);
  }
  if (hc.protocol !== 'HTTP') return null;
  // The path and host go verbatim into the request line / Host header: no spaces or controls.
  if (typeof hc.httpPath !== 'string' || !/^\/[\x21-\x7e]*$/.test(hc.httpPath)) {
    throw new Error(`${where}.httpPath must start with "/" and contain only visible ASCII, got ${JSON.stringify(hc.httpPath)}`);
  }
  if (hc.httpDomain !== null && (typeof hc.httpDomain !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(hc.httpDomain))) {
    throw new Error(`${where}.httpDomain must be 1..255 visible ASCII characters or null, got ${JSON.stringify(hc.httpDomain)}`);
  }
  if (hc.httpVersion !== 'HTTP1.0' && hc.httpVersion !== 'HTTP1.1') {
    throw new Error(`${where}.httpVersion must be HTTP1.0 or HTTP1.1, got ${JSON.stringify(hc.httpVersion)}`);
  }
  try {
    return new ExpectedCodes(hc.httpCodes);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}
