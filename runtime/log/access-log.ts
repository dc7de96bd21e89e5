/**
 * The access log: one JSON line per HTTP request / TCP connection.
 *
 * Written from the hot path, so it buffers (LineWriter): lines collect in memory and are
 * written asynchronously in 16 KiB chunks of whole lines, and a timer flushes the rest every
 * second so a quiet node's log still reads live. The lines have pino's JSON layout.
 */
import { LineWriter } from './line-writer';

export type AccessLogTarget = 'off' | 'stdout' | { file: string };

export interface AccessLog {
  write(listenerId: string, backendId: string, targetId: string | null, status: number, durationMs: number,
    upstreamMs: number, method: string, url: string, clientIp: string, ruleId?: string | null): void;
  /** Reopens the file under its name (log rotation); a no-op for stdout. */
  reopen(): void;
  /** Writes out what is buffered and closes the file; call before the process exits. */
  close(): Promise<void>;
}

const FLUSH_INTERVAL_MS = 1000;

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** Milliseconds with 3 decimals (µs); a JSON number even for NaN/Infinity from a broken clock. */
function round(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : -1;
}

export function parseAccessLogTarget(value: string | undefined, fallback: AccessLogTarget): AccessLogTarget {
  if (value === undefined || value === '') return fallback;
  if (value === 'off') return 'off';
  if (value === '-' || value === 'stdout') return 'stdout';
  return { file: value };
}

export function createAccessLog(target: AccessLogTarget): AccessLog | null {
  if (target === 'off') return null;
  const destination = target === 'stdout' ? LineWriter.stdout() : LineWriter.file(target.file);
  // The line is assembled by hand in pino's JSON layout (level 30 = info, time in ms, pid):
  // pino's generic object serializer cost ~2 µs per line more. Ids repeat, so
  // their JSON-quoted form is cached; method and URL come from the client and are quoted
  // only when they hold a character JSON must escape.
  const prefix = `{"level":30,"pid":${process.pid},"time":`;
  const quotedIds = new Map<string, string>();
  const quoteId = (id: string): string => {
    let q = quotedIds.get(id);
    if (q === undefined) {
      q = JSON.stringify(id);
      if (quotedIds.size < 10_000) quotedIds.set(id, q);
    }
    return q;
  };
  const timer = setInterval(() => destination.flush(), FLUSH_INTERVAL_MS);
  timer.unref();

  return {
    write(listener, backend, target, status, durationMs, upstreamMs, method, url, client, rule = null) {
      destination.write(`${prefix}${Date.now()},"listener":${quoteId(listener)},"backend":${quoteId(backend)},` +
        `"target":${target === null ? 'null' : quoteId(target)},"status":${status},"durationMs":${round(durationMs)},` +
        `"upstreamMs":${round(upstreamMs)},"method":${quote(method)},"url":${quote(url)},"client":${quote(client)},` +
        `"rule":${rule === null ? 'null' : quoteId(rule)}}\n`);
    },
    reopen() {
      destination.flush();
      destination.reopen();
    },
    close() {
      clearInterval(timer);
      // Bound the wait in case the disk hangs.
      return Promise.race([destination.close(), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    },
  };
}
