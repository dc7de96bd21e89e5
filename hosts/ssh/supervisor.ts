/**
 * Who keeps a program running on an SSH host: systemd when the host booted with it (a unit
 * per LB node / VM, restarted on failure), else the project's own daemon mode (a detached
 * process group with a pid record; nothing restarts it when it dies — the next deploy does).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { sleep } from '../../lib/process/supervision';
import { UnitSpec, systemdUnit, unitName } from './systemd-unit';

export type Supervisor = 'systemd' | 'daemon';

/** sd_booted(3): the host runs systemd when /run/systemd/system exists. */
export function detectSupervisor(asked: string): Supervisor {
  if (asked === 'systemd' || asked === 'daemon') return asked;
  if (asked !== 'auto') throw new Error(`--supervisor ${JSON.stringify(asked)} is not allowed (allowed: auto, systemd, daemon)`);
  return fs.existsSync('/run/systemd/system') ? 'systemd' : 'daemon';
}

const UNIT_DIR = '/etc/systemd/system';

function systemctl(args: string[], allowFail = false): string {
  const r = spawnSync('systemctl', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`systemctl ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new Error(`systemctl ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Writes (or replaces) the unit and starts it; a changed unit restarts the service. */
export function startUnit(name: string, spec: UnitSpec): { changed: boolean } {
  const file = path.join(UNIT_DIR, unitName(name));
  const text = systemdUnit(spec);
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (before !== text) {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
    systemctl(['daemon-reload']);
  }
  systemctl(['enable', unitName(name)]);
  systemctl([before !== null && before !== text ? 'restart' : 'start', unitName(name)]);
  return { changed: before !== text };
}

/** The main pid of a running unit, or null. */
export function unitPid(name: string): number | null {
  const out = systemctl(['show', '--property', 'MainPID', '--value', unitName(name)], true).trim();
  const pid = Number(out);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Stops, disables and removes the unit (nothing if it does not exist). */
export async function removeUnit(name: string): Promise<boolean> {
  const file = path.join(UNIT_DIR, unitName(name));
  if (!fs.existsSync(file)) return false;
  systemctl(['disable', '--now', unitName(name)], true);
  for (let i = 0; i < 100 && unitPid(name) !== null; i++) await sleep(100);
  fs.rmSync(file, { force: true });
  systemctl(['daemon-reload'], true);
  systemctl(['reset-failed', unitName(name)], true);
  return true;
}
