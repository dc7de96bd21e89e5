import { PassiveHealth } from '../../runtime/health/passive';

describe('passive health (nginx max_fails / fail_timeout)', () => {
  test('maxFails failures within failTimeout eject for failTimeout, then one probe', () => {
    const ph = new PassiveHealth({ maxFails: 3, failTimeoutMs: 1000 }, 2);
    expect(ph.failure(0, 0)).toBe(false);
    expect(ph.failure(0, 400)).toBe(false);
    expect(ph.failure(0, 900)).toBe(true);
    expect(ph.isEjected(0)).toBe(true);
    expect(ph.isEjected(1)).toBe(false);
    expect(ph.ejectedUntilMs(0)).toBe(1900);
    expect(ph.failure(0, 950)).toBe(false); // already out: nothing new to report
    expect(ph.expireDue(1899)).toBe(false);
    expect(ph.isEjected(0)).toBe(true);
    expect(ph.expireDue(1900)).toBe(true);
    expect(ph.isEjected(0)).toBe(false);
    expect(ph.ejectedCount).toBe(0);
    // Probing: a single failure takes it straight back out.
    expect(ph.failure(0, 2000)).toBe(true);
    expect(ph.expireDue(3000)).toBe(true);
    // A success while probing clears the record: back to needing maxFails failures.
    ph.success(0);
    expect(ph.failure(0, 3100)).toBe(false);
    expect(ph.failure(0, 3200)).toBe(false);
    expect(ph.failure(0, 3300)).toBe(true);
  });

  test('failures spread wider than failTimeout never eject; a success resets the count', () => {
    const ph = new PassiveHealth({ maxFails: 2, failTimeoutMs: 1000 }, 1);
    expect(ph.failure(0, 0)).toBe(false);
    expect(ph.failure(0, 1500)).toBe(false); // first one fell out of the window
    ph.success(0);
    expect(ph.failure(0, 1600)).toBe(false);
    expect(ph.failure(0, 1700)).toBe(true);
  });

  test('maxFails 0 disables ejection; bad settings are refused', () => {
    const ph = new PassiveHealth({ maxFails: 0, failTimeoutMs: 1000 }, 1);
    for (let i = 0; i < 100; i++) expect(ph.failure(0, i)).toBe(false);
    expect(() => new PassiveHealth({ maxFails: -1, failTimeoutMs: 1 }, 1)).toThrow(/maxFails must be an integer >= 0, got -1/);
    expect(() => new PassiveHealth({ maxFails: 1, failTimeoutMs: 0 }, 1)).toThrow(/failTimeoutMs must be a number >= 1, got 0/);
  });
});
