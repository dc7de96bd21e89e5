/**
 * How a 2-worker node hands its config to the workers (runtime/process/config-files): a
 * private copy per config hash in the temp directory, only the current one kept, removed on
 * stop — and when no copy can be written, the document goes over IPC and reloads still work.
 */
import { sha256Hex as sha256 } from '../../lib/config/hash';
import * as fs from 'fs';
import * as path from 'path';
import {
  backend, ensureBundle, get, getJson, killAllStarted, lbConfig, listener, RunningNode, startBackend, startNode,
  tempDir, TestBackend, waitFor,
} from './cli-helpers';

const ADDR = '127.0.4.31';
const PORT = 18131;

let dir: string;
let a: TestBackend;
let b: TestBackend;

function configText(target: 'a' | 'b'): string {
  const be = target === 'a' ? a : b;
  return `${JSON.stringify(lbConfig(ADDR, [listener('main', PORT, 'web')], [backend('web', [{ id: target, port: be.port }])]))}\n`;
}

/** Starts a 2-worker node whose temp directory (os.tmpdir()) is `tmp`. */
function startWith(tmp: string, file: string): Promise<RunningNode> {
  return startNode(['run', '--config', file, '--bind', ADDR, '--workers', '2', '--access-log', 'off'],
    { adminHost: ADDR, env: { TMPDIR: tmp } });
}

async function reloadTo(node: RunningNode, file: string, text: string): Promise<void> {
  fs.writeFileSync(file, text);
  node.child.kill('SIGHUP');
  const s = await waitFor('reload outcome in /status', async () => {
    const st = await getJson(ADDR, node.adminPort, '/status');
    return st.lastReload?.hash === sha256(text) ? st : null;
  }, 20_000, 50);
  expect(s.lastReload.ok).toBe(true);
  expect(s.configHash).toBe(sha256(text));
}

/** Both workers answer from the expected backend (several requests: round robin over workers). */
async function servedBy(name: string): Promise<void> {
  for (let i = 0; i < 6; i++) expect((await get(ADDR, PORT, '/')).body).toBe(name);
}

beforeAll(async () => {
  ensureBundle();
  dir = tempDir('transfer');
  a = await startBackend('a');
  b = await startBackend('b');
});

afterAll(async () => {
  killAllStarted();
  await a?.close();
  await b?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the workers read a private copy named by hash; only the current one is kept; stop removes it', async () => {
  const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
  const file = path.join(dir, 'config.json');
  const first = configText('a');
  fs.writeFileSync(file, first);
  const node = await startWith(tmp, file);
  const copies = (): string[] => fs.readdirSync(tmp).flatMap((d) => fs.readdirSync(path.join(tmp, d)).map((f) => path.join(tmp, d, f)));
  try {
    await servedBy('a');
    expect(copies().map((f) => path.basename(f))).toEqual([`${sha256(first)}.json`]);
    expect(fs.readFileSync(copies()[0], 'utf8')).toBe(first);

    const second = configText('b');
    await reloadTo(node, file, second);
    await servedBy('b');
    expect(copies().map((f) => path.basename(f))).toEqual([`${sha256(second)}.json`]);
  } finally {
    node.child.kill('SIGTERM');
  }
  expect(await node.exited).toBe(0);
  expect(fs.readdirSync(tmp)).toEqual([]);
}, 60_000);

test('with no writable temp directory the config goes over IPC: the node starts and reloads', async () => {
  // A regular file as TMPDIR: mkdtemp fails with ENOTDIR even for root.
  const notADir = path.join(dir, 'not-a-dir');
  fs.writeFileSync(notADir, '');
  const file = path.join(dir, 'config-ipc.json');
  fs.writeFileSync(file, configText('a'));
  const node = await startWith(notADir, file);
  try {
    await servedBy('a');
    expect(node.stderr()).toMatch(/cannot write the config copy for the workers; sending it over IPC/);
    await reloadTo(node, file, configText('b'));
    await servedBy('b');
  } finally {
    node.child.kill('SIGTERM');
  }
  expect(await node.exited).toBe(0);
}, 60_000);
