/** Starting a proxy process and waiting until traffic flows through it, shared by every spec. */
import * as path from 'path';
import { startProcess, stopProcess, StartOptions, Started } from '../lib/processes';
import { waitUntil, httpOk, canConnect } from '../lib/net';
import { processTree } from '../lib/procstat';
import { HTTP_PORT, HTTPS_PORT, TCP_PORT, RunningProxy } from './types';

export interface LaunchOptions extends Omit<StartOptions, 'logFile'> {
  id: string;
  address: string;
  dir: string;
  withTcp: boolean;
  /** Which pids carry traffic, given the whole tree (root first). */
  workersOf: (tree: number[], rootPid: number) => number[];
  readyTimeoutMs?: number;
}

export async function launch(o: LaunchOptions): Promise<RunningProxy> {
  const logFile = path.join(o.dir, `${o.id}.log`);
  await assertFree({ host: o.address, port: HTTP_PORT }, o.id);
  return whenReady(startProcess({ ...o, logFile }), o);
}

export type ReadyOptions = Pick<LaunchOptions, 'id' | 'address' | 'withTcp' | 'workersOf' | 'readyTimeoutMs'>;

/** Waits until HTTP, HTTPS (and TCP) traffic passes through a started proxy; stops it if not. */
export async function whenReady(proc: Started, o: ReadyOptions): Promise<RunningProxy> {
  const logFile = proc.logFile;
  const rootPid = proc.child.pid!;
  const httpUrl = (p: string) => `http://${o.address}:${HTTP_PORT}${p}`;
  const httpsUrl = (p: string) => `https://${o.address}:${HTTPS_PORT}${p}`;
  const dead = () => (proc.child.exitCode !== null || proc.child.signalCode !== null
    ? `exit ${proc.child.exitCode ?? proc.child.signalCode}; log: ${logFile}` : null);
  const timeout = o.readyTimeoutMs ?? 20000;
  try {
    await waitUntil(`${o.id} HTTP ${httpUrl('/small')}`, () => httpOk(httpUrl('/small')), timeout, dead);
    await waitUntil(`${o.id} HTTPS ${httpsUrl('/small')}`, () => httpOk(httpsUrl('/small')), timeout, dead);
    if (o.withTcp) {
      await waitUntil(`${o.id} TCP ${o.address}:${TCP_PORT}`, () => canConnect({ host: o.address, port: TCP_PORT }), timeout, dead);
    }
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return {
    name: o.id,
    address: o.address,
    httpUrl,
    httpsUrl,
    tcp: o.withTcp ? { host: o.address, port: TCP_PORT } : null,
    pids: () => processTree(rootPid),
    workerPids: () => o.workersOf(processTree(rootPid), rootPid),
    stop: async () => { await stopProcess(proc, 5000); },
  };
}

/**
 * A readiness probe answered by a leftover process (an earlier bench that was not stopped)
 * would silently measure the wrong proxy: refuse to start on an address that already answers.
 */
export async function assertFree(ep: { host: string; port: number }, what: string): Promise<void> {
  if (await canConnect(ep, 500)) {
    throw new Error(`${what}: ${ep.host}:${ep.port} is already in use by another process (an earlier bench still running?)`);
  }
}

/** Node cluster and nginx: the children of the root are the workers. */
export const childrenAreWorkers = (tree: number[], root: number): number[] => tree.filter((p) => p !== root);
/** HAProxy: one process, many threads. */
export const rootIsWorker = (_tree: number[], root: number): number[] => [root];
