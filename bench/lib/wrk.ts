/**
 * Runs wrk and turns its output into numbers. wrk's own summary has no p99.9, so a small Lua
 * `done` hook prints one JSON line (prefixed WRK_JSON) with the exact percentiles from wrk's
 * HdrHistogram; the human summary is parsed too, as a cross-check and as the fallback.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runToCompletion } from './processes';

export interface WrkResult {
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  bytes: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
}

const LUA_DONE_HOOK = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.2f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`;

export function writeLuaHook(dir: string): string {
  const file = path.join(dir, 'wrk-percentiles.lua');
  fs.writeFileSync(file, LUA_DONE_HOOK);
  return file;
}

/** "1.23ms" / "456.78us" / "2.00s" / "1.5m" → milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk output: cannot parse duration "${text}" (expected e.g. 1.23ms, 456us, 2.00s)`);
  const v = Number(m[1]);
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000 };
  return v * scale[m[2]];
}

/**
 * Parses wrk's stdout. Uses the WRK_JSON line when present (exact percentiles incl. p99.9);
 * otherwise falls back to the human summary (`--latency` gives p50/p90/p99; p99.9 is NaN).
 * Throws with the offending text when neither is there — a run that printed nothing useful
 * must not become a zero in the results.
 */
export function parseWrkOutput(stdout: string): WrkResult {
  const jsonLine = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  const rpsMatch = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (jsonLine) {
    const j = JSON.parse(jsonLine.slice('WRK_JSON '.length));
    const durationSec = j.duration_us / 1e6;
    const us = j.latency_us;
    return {
      requests: j.requests,
      durationSec,
      requestsPerSec: rpsMatch ? Number(rpsMatch[1]) : j.requests / durationSec,
      bytes: j.bytes,
      latencyMs: {
        mean: us.mean / 1000, p50: us.p50 / 1000, p90: us.p90 / 1000,
        p99: us.p99 / 1000, p999: us.p999 / 1000, max: us.max / 1000,
      },
      errors: j.errors,
    };
  }
  if (!rpsMatch) throw new Error(`wrk output has neither a WRK_JSON line nor "Requests/sec:": ${stdout.slice(0, 500)}`);
  const summary = /(\d+) requests in ([\d.]+\w+), ([\d.]+)(B|KB|MB|GB) read/.exec(stdout);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout);
    return m ? parseDurationMs(m[1]) : NaN;
  };
  const lat = /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(stdout);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const unit: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  return {
    requests: summary ? Number(summary[1]) : NaN,
    durationSec: summary ? parseDurationMs(summary[2]) / 1000 : NaN,
    requestsPerSec: Number(rpsMatch[1]),
    bytes: summary ? Number(summary[3]) * unit[summary[4]] : NaN,
    latencyMs: {
      mean: lat ? parseDurationMs(lat[1]) : NaN,
      p50: pct('50'), p90: pct('90'), p99: pct('99'), p999: NaN,
      max: lat ? parseDurationMs(lat[3]) : NaN,
    },
    errors: {
      connect: sock ? Number(sock[1]) : 0, read: sock ? Number(sock[2]) : 0,
      write: sock ? Number(sock[3]) : 0, timeout: sock ? Number(sock[4]) : 0,
      status: non2xx ? Number(non2xx[1]) : 0,
    },
  };
}

export interface WrkOptions {
  url: string;
  connections: number;
  threads: number;
  durationSec: number;
  headers?: string[];
  luaHook: string;
  cpus?: string;
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationSec}s`,
    '--latency', '--timeout', '5s', '-s', o.luaHook];
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(o.url);
  const r = await runToCompletion('wrk', args, (o.durationSec + 20) * 1000, { cpus: o.cpus });
  if (r.timedOut) throw new Error(`wrk ${o.url} did not finish within ${o.durationSec + 20}s`);
  if (r.code !== 0) throw new Error(`wrk ${o.url} exited ${r.code}: ${r.stderr.trim()} ${r.stdout.slice(0, 300)}`);
  return parseWrkOutput(r.stdout);
}
