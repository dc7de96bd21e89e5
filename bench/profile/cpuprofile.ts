/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self time:
 * the time the CPU spent in the function's own code, not in what it called. Samples are
 * attributed to the node they hit; timeDeltas give each sample's duration.
 */
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimeEntry {
  name: string;
  location: string;
  selfMs: number;
  selfPct: number;
}

/** Shortens node_modules / project paths so the table stays readable. */
export function shortLocation(url: string, line: number): string {
  if (!url) return '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  const shown = nm >= 0 ? u.slice(nm + 'node_modules/'.length) : u.replace(/^.*\/(dist|runtime|lib|bench)\//, '$1/');
  return `${shown}:${line + 1}`;
}

/** Maps a bundle position (0-based line/column, as V8 reports) to its original source. */
export type LocationMapper = (url: string, line: number, column: number) => string | null;

export function selfTimes(profile: CpuProfile, mapLocation: LocationMapper = () => null): { totalMs: number; entries: SelfTimeEntry[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node || dt < 0) continue;
    totalUs += dt;
    const cf = node.callFrame;
    const name = cf.functionName || '(anonymous)';
    const location = mapLocation(cf.url, cf.lineNumber, cf.columnNumber) ?? shortLocation(cf.url, cf.lineNumber);
    const key = `${name}@${location}`;
    const e = selfUs.get(key) ?? { name, location, us: 0 };
    e.us += dt;
    selfUs.set(key, e);
  }
  const entries = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, selfPct: totalUs > 0 ? (e.us / totalUs) * 100 : 0 }));
  return { totalMs: totalUs / 1000, entries };
}

/** Self time grouped by where the code lives: node internals, our bundle, GC, idle. */
export function selfTimeByArea(entries: SelfTimeEntry[]): { area: string; pct: number }[] {
  const areas = new Map<string, number>();
  for (const e of entries) {
    let area: string;
    if (e.name === '(idle)') area = 'idle (event loop waiting)';
    else if (e.name === '(garbage collector)') area = 'garbage collector';
    else if (e.name === '(program)') area = 'V8/native (program)';
    else if (e.location.startsWith('node:')) area = `node core: ${e.location.split(':')[1]?.split('/').slice(0, 2).join('/')}`;
    else if (e.location === '(native)') area = `native: ${e.name}`;
    else area = `js: ${e.location.replace(/:\d+$/, '')}`;
    areas.set(area, (areas.get(area) ?? 0) + e.selfPct);
  }
  return [...areas.entries()].map(([area, pct]) => ({ area, pct })).sort((a, b) => b.pct - a.pct);
}
