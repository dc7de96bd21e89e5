/**
 * Collects repeated measurements and reduces them: the median of each metric over the
 * repeats, and the median of the per-repeat ratios to a reference (nginx for the proxy
 * comparison, plain WRR for the algorithm cost). Ratios are taken within one repeat, so
 * drift of the machine between repeats (other work on the 2 cores) cancels out.
 */
import { median, round } from './stats';

export type Metrics = Record<string, number>;

export interface Row {
  proxy: string;
  workers: number | null;
  runs: number;
  median: Record<string, number | null>;
  /** Per metric: median over repeats of (this value / reference value in the same repeat). */
  ratio: Record<string, number | null> | null;
  /** What ratio compares to, e.g. "nginx". */
  ratioTo: string | null;
  note?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** "ok" or "unavailable: <reason>" (or "failed: <error>"). */
  status: string;
  /** Metric keys shown in the Markdown table, in order. */
  columns: string[];
  rows: Row[];
  notes: string[];
}

/** Metrics where a ratio to the reference means nothing (noise indicators, counts). */
const NO_RATIO = new Set(['foreignCpuPct', 'errors', 'openConnections', 'targets', 'listeners', 'kibPerConnection']);

interface Sample { scenario: string; workers: number | null; proxy: string; rep: number; metrics: Metrics }

export class Collector {
  private readonly samples: Sample[] = [];
  private readonly failures = new Map<string, string>();

  add(scenario: string, workers: number | null, proxy: string, rep: number, metrics: Metrics): void {
    this.samples.push({ scenario, workers, proxy, rep, metrics });
  }

  /** Remembers why a (scenario, proxy) could not be measured; shown as the row's note. */
  fail(scenario: string, workers: number | null, proxy: string, reason: string): void {
    this.failures.set(`${scenario}|${workers}|${proxy}`, reason);
  }

  reduce(scenario: string, reference: string | null): Row[] {
    const mine = this.samples.filter((s) => s.scenario === scenario);
    const keys = new Map<string, { workers: number | null; proxy: string }>();
    for (const s of mine) keys.set(`${s.workers}|${s.proxy}`, { workers: s.workers, proxy: s.proxy });
    for (const k of this.failures.keys()) {
      const [sc, w, p] = k.split('|');
      if (sc === scenario && !keys.has(`${w}|${p}`)) keys.set(`${w}|${p}`, { workers: w === 'null' ? null : Number(w), proxy: p });
    }
    const rows: Row[] = [];
    for (const { workers, proxy } of keys.values()) {
      const runs = mine.filter((s) => s.workers === workers && s.proxy === proxy);
      const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
      const med: Record<string, number | null> = {};
      for (const m of metricNames) med[m] = round(median(runs.map((r) => r.metrics[m])), 3);
      let ratio: Record<string, number | null> | null = null;
      if (reference !== null && proxy !== reference) {
        ratio = {};
        for (const m of metricNames.filter((n) => !NO_RATIO.has(n))) {
          const perRep: number[] = [];
          for (const r of runs) {
            const ref = mine.find((s) => s.workers === workers && s.proxy === reference && s.rep === r.rep);
            const rv = ref?.metrics[m];
            if (rv !== undefined && rv !== 0 && Number.isFinite(rv) && Number.isFinite(r.metrics[m])) perRep.push(r.metrics[m] / rv);
          }
          ratio[m] = round(median(perRep), 3);
        }
      }
      const failure = this.failures.get(`${scenario}|${workers}|${proxy}`);
      rows.push({ proxy, workers, runs: runs.length, median: med, ratio, ratioTo: ratio ? reference : null,
        ...(failure ? { note: failure } : {}) });
    }
    return rows;
  }
}
