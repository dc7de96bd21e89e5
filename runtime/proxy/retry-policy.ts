/**
 * How many targets one request or connection may try before it is answered with the last
 * failure. Bounded like HAProxy's `retries 3` + `option redispatch` (4 tries) or nginx with
 * `proxy_next_upstream_tries`, rather than "every target": with thousands of targets down and
 * passive ejection off, trying each one would make every request cost O(targets) connects
 * and O(targets²) picks. Passive health ejects the failed ones, so later requests start
 * among those still believed up.
 */
export const MAX_ATTEMPTS = 5;

/** Attempts allowed for a backend with `targetCount` targets. */
export function attemptLimit(targetCount: number): number {
  return targetCount < MAX_ATTEMPTS ? targetCount : MAX_ATTEMPTS;
}
