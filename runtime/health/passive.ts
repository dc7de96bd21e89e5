/**
 * Passive health, with nginx's max_fails / fail_timeout semantics: `maxFails` failures (connect
 * errors or timeouts reported by the data plane) within `failTimeoutMs` eject a target for
 * `failTimeoutMs`; afterwards it is available again to be probed by real traffic — a success
 * clears its record, while a single failure while probing ejects it again at once (nginx keeps
 * the failure count at the limit until a success). maxFails = 0 disables passive ejection.
 *
 * State is per target position in typed arrays; expiry is evaluated lazily by the owner
 * (BackendPool) against the clock it already reads, so there are no timers to leak.
 */
import { PassiveHealthConfig } from '../../lib/config/types';

export class PassiveHealth {
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  /** Failures in the current window. */
  private readonly fails: Uint32Array;
  /** When the current failure window began. */
  private readonly windowStart: Float64Array;
  /** Ejected until this time (ms); 0 = not ejected. */
  private readonly ejectedUntil: Float64Array;
  /** 1 after an ejection ran out, until the next success: one failure re-ejects. */
  private readonly probing: Uint8Array;
  private ejected = 0;
  private nextExpiry = Infinity;

  constructor(cfg: PassiveHealthConfig, size: number) {
    if (!Number.isInteger(cfg.maxFails) || cfg.maxFails < 0) {
      throw new Error(`passiveHealth.maxFails must be an integer >= 0, got ${JSON.stringify(cfg.maxFails)}`);
    }
    if (!(Number.isFinite(cfg.failTimeoutMs) && cfg.failTimeoutMs >= 1)) {
      throw new Error(`passiveHealth.failTimeoutMs must be a number >= 1, got ${JSON.stringify(cfg.failTimeoutMs)}`);
    }
    this.maxFails = cfg.maxFails;
    this.failTimeoutMs = cfg.failTimeoutMs;
    this.fails = new Uint32Array(size);
    this.windowStart = new Float64Array(size);
    this.ejectedUntil = new Float64Array(size);
    this.probing = new Uint8Array(size);
  }

  /** Number of targets ejected right now (before lazy expiry). */
  get ejectedCount(): number {
    return this.ejected;
  }

  isEjected(i: number): boolean {
    return this.ejectedUntil[i] > 0;
  }

  /** Until when target i is ejected (ms), 0 when it is not. */
  ejectedUntilMs(i: number): number {
    return this.ejectedUntil[i];
  }

  /** Records a failure of target i at nowMs; true when this failure ejects it. */
  failure(i: number, nowMs: number): boolean {
    if (this.maxFails === 0 || this.ejectedUntil[i] > 0) return false;
    if (this.probing[i] === 0) {
      if (this.fails[i] === 0 || nowMs - this.windowStart[i] > this.failTimeoutMs) {
        this.fails[i] = 1;
        this.windowStart[i] = nowMs;
      } else {
        this.fails[i]++;
      }
      if (this.fails[i] < this.maxFails) return false;
    }
    this.ejectedUntil[i] = nowMs + this.failTimeoutMs;
    this.fails[i] = 0;
    this.probing[i] = 0;
    this.ejected++;
    if (this.ejectedUntil[i] < this.nextExpiry) this.nextExpiry = this.ejectedUntil[i];
    return true;
  }

  /** A request to target i succeeded: its failure record is cleared. */
  success(i: number): void {
    this.fails[i] = 0;
    this.probing[i] = 0;
  }

  /**
   * Ends the ejections that ran out by nowMs; true when any did (the caller then refreshes
   * availability). Cheap when nothing is due: one comparison.
   */
  expireDue(nowMs: number): boolean {
    if (this.ejected === 0 || nowMs < this.nextExpiry) return false;
    let next = Infinity;
    let changed = false;
    for (let i = 0; i < this.ejectedUntil.length; i++) {
      const until = this.ejectedUntil[i];
      if (until === 0) continue;
      if (until <= nowMs) {
        this.ejectedUntil[i] = 0;
        this.probing[i] = 1;
        this.ejected--;
        changed = true;
      } else if (until < next) {
        next = until;
      }
    }
    this.nextExpiry = next;
    return changed;
  }

  /** Copies target `from` of another tracker into target `to` of this one (config reload). */
  carryFrom(other: PassiveHealth, from: number, to: number): void {
    this.fails[to] = other.fails[from];
    this.windowStart[to] = other.windowStart[from];
    this.probing[to] = other.probing[from];
    const until = other.ejectedUntil[from];
    if (until > 0 && this.ejectedUntil[to] === 0) {
      this.ejectedUntil[to] = until;
      this.ejected++;
      if (until < this.nextExpiry) this.nextExpiry = until;
    }
  }
}
