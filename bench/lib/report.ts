/** The Markdown view of the results (stdout and docs/benchmarks.md). */
import { ScenarioResult, Row } from './results';

const LABELS: Record<string, string> = {
  rps: 'req/s', p50Ms: 'p50 ms', p99Ms: 'p99 ms', p999Ms: 'p99.9 ms', cpuPct: 'CPU %',
  cpuUsPerReq: 'CPU µs/req', peakRssMiB: 'peak RSS MiB', errors: 'errors', mibPerSec: 'MiB/s',
  transfersPerSec: 'transfers/s', rssPerWorkerMiB: 'RSS/worker MiB', totalRssMiB: 'total RSS MiB',
  kibPerConnection: 'KiB/conn', openConnections: 'open conns', reloadMs: 'reload ms',
  foreignCpuPct: 'foreign CPU %', firstRequestMs: 'serving ms', startMs: 'start ms', synthMs: 'synth ms', listeners: 'listeners', targets: 'targets',
};

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function cell(row: Row, key: string): string {
  const value = fmt(row.median[key]);
  const r = row.ratio?.[key];
  return r === null || r === undefined ? value : `${value} (${r.toFixed(2)}×)`;
}

export function scenarioMarkdown(s: ScenarioResult): string {
  const lines = [`### ${s.title} \`${s.id}\``, ''];
  if (s.status !== 'ok') {
    lines.push(`_${s.status}_`, '');
    return lines.join('\n');
  }
  const ref = s.rows.find((r) => r.ratioTo)?.ratioTo;
  const header = ['proxy', 'workers', ...s.columns.map((c) => LABELS[c] ?? c)];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  for (const row of s.rows) {
    const name = row.note ? `${row.proxy} (${row.note})` : row.proxy;
    lines.push(`| ${[name, row.workers ?? '–', ...s.columns.map((c) => cell(row, c))].join(' | ')} |`);
  }
  if (ref) lines.push('', `Ratios in parentheses: median over repeats of value ÷ ${ref} in the same repeat.`);
  for (const n of s.notes) lines.push('', n);
  lines.push('');
  return lines.join('\n');
}

export function reportMarkdown(title: string, preamble: string[], scenarios: ScenarioResult[]): string {
  return [`## ${title}`, '', ...preamble, '', ...scenarios.map(scenarioMarkdown)].join('\n');
}
