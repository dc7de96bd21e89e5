/**
 * Synth time for 1, 10 and 100 LBs of 20 listeners × 100 targets, through the public
 * constructs (index.ts). Each count runs in a fresh process (no warm caches from the previous
 * count); the time reported is construct-tree building + app.synth(), measured inside it,
 * so ts-node's own start-up is excluded.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runToCompletion } from '../lib/processes';
import { Collector, ScenarioResult } from '../lib/results';

export async function runSynth(o: { root: string; lbCounts: number[]; log: (s: string) => void }): Promise<ScenarioResult> {
  const id = 'synth';
  const base: ScenarioResult = {
    id, title: 'Synth time: N LBs × 20 listeners × 100 targets', status: 'ok',
    columns: ['listeners', 'targets', 'synthMs'], rows: [], notes: ['Construct tree + app.synth() in a fresh process per N; excludes ts-node start-up.'],
  };
  const tsNode = path.join(o.root, 'node_modules', '.bin', 'ts-node');
  const script = path.join(__dirname, 'synth-app.ts');
  const c = new Collector();
  for (const n of o.lbCounts) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'alb-bench-synth-'));
    try {
      const r = await runToCompletion(tsNode, ['--transpile-only', script, String(n), outdir], 600000);
      const line = r.stdout.split('\n').find((l) => l.startsWith('SYNTH_JSON '));
      if (!line) {
        const why = r.timedOut ? 'did not finish within 600 s' : (r.stderr.trim().split('\n').find((l) => /Error|error/.test(l)) ?? r.stderr.trim().slice(0, 300));
        if (n === o.lbCounts[0]) return { ...base, status: `unavailable: synth of ${n} LB(s) failed: ${why}` };
        c.fail(id, null, `${n} LBs`, `failed: ${why}`);
        continue;
      }
      const j = JSON.parse(line.slice('SYNTH_JSON '.length));
      c.add(id, null, `${n} LBs`, 0, { listeners: n * j.listeners, targets: n * j.listeners * j.targetsPerListener, synthMs: j.synthMs });
      o.log(`  synth ${n} LBs: ${j.synthMs.toFixed(0)} ms`);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
  return { ...base, rows: c.reduce(id, null) };
}
