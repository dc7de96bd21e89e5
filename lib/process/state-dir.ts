/**
 * Layout of an LB node's state directory (`--state-dir DIR`, files under DIR/NODE/): the
 * node's own copy of its config, the staged next config, pid, logs and the admin address.
 * Written once: the runtime's daemon mode writes it, the SSH host agent reads it.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface NodeFiles {
  dir: string;
  /** The config the node serves (a copy, so the node never depends on the caller's file). */
  config: string;
  /** A config staged by `reload`, applied on SIGHUP and then promoted to `config`. */
  staged: string;
  /** The last staged config the node refused, kept for inspection. */
  rejected: string;
  pid: string;
  /** stdout/stderr of a daemon (event log). */
  log: string;
  accessLog: string;
  /** {"host","port"} of the admin endpoint, written once it listens (port 0 → the real port). */
  admin: string;
}

export function nodeFiles(stateDir: string, node: string | undefined): NodeFiles {
  const dir = node ? path.join(stateDir, node) : stateDir;
  return {
    dir,
    config: path.join(dir, 'config.json'),
    staged: path.join(dir, 'config.json.next'),
    rejected: path.join(dir, 'config.json.rejected'),
    pid: path.join(dir, 'runtime.pid'),
    log: path.join(dir, 'runtime.log'),
    accessLog: path.join(dir, 'access.log'),
    admin: path.join(dir, 'admin.json'),
  };
}

/** Write-then-rename, so a reader never sees half a file. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, data);
  fs.renameSync(temp, file);
}

/** Where a running node's admin endpoint is, and the file holding its bearer token (null: none). */
export interface AdminAddress { host: string; port: number; tokenFile: string | null }

export function readAdminAddress(file: string): AdminAddress | null {
  try {
    const a = JSON.parse(fs.readFileSync(file, 'utf8')) as { host?: unknown; port?: unknown; tokenFile?: unknown };
    return typeof a.host === 'string' && typeof a.port === 'number'
      ? { host: a.host, port: a.port, tokenFile: typeof a.tokenFile === 'string' ? a.tokenFile : null } : null;
  } catch {
    return null;
  }
}

export function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
