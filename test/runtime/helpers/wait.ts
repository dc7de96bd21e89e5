/** Waiting in tests: one sleep and one waitFor for every runtime test. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown by a waitFor probe to end the wait at once (e.g. the process it waits for has exited). */
export class WaitAborted extends Error {}

/**
 * Polls `probe` every `intervalMs` until it returns a truthy value, which is returned, or
 * fails after `timeoutMs` naming `what` and the probe's last error. A probe may be async and
 * may throw: an error counts as "not yet", except WaitAborted, which ends the wait.
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}
