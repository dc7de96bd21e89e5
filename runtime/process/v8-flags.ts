/** V8 flags for every process that serves traffic (primary and workers). */

/**
 * V8's memory reducer shrinks an idle-looking heap with extra collections. A serving process
 * does not want them: the primary is idle while its workers serve, so its reducer collects on
 * a core a worker is using, and a worker gets them after a burst. Measured on one core per
 * process tree (small keep-alive, wrk -c50, 7 alternating pairs, the flag on primary and
 * worker): p99 2.7-4.7 ms (median 3.6) without the reducer against 4.8-7.3 ms (median 5.9)
 * with it, in every pair; throughput unchanged. nginx and HAProxy do not hand memory back
 * either. The daemon (./daemon.ts) starts the primary with these; workers get them from
 * ./primary.ts (workerExecArgv) unless the user set the same V8 setting.
 */
export const SERVING_V8_FLAGS: readonly string[] = ['--no-memory-reducer'];

