/**
 * The primary's copies of validated configs that worker processes read (runtime/process/
 * config-files): written once per hash, private, verified by hash on read, cleaned up.
 */
import { sha256Hex as sha256 } from '../../lib/config/hash';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigFiles, readConfigFile, removeOrphanedConfigDirs } from '../../runtime/process/config-files';

const stores: ConfigFiles[] = [];

function store(): ConfigFiles {
  const s = new ConfigFiles();
  stores.push(s);
  return s;
}

afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
});

test('a worker reads back exactly the document the primary wrote, from a private file', () => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 1, cookieSecret: 's'.repeat(64), targets: [1, 2, 3] }));
  const ref = store().put(sha256(bytes), bytes);
  expect(ref.hash).toBe(sha256(bytes));
  expect(fs.readFileSync(ref.file).equals(bytes)).toBe(true);
  // It holds the cookie secret: only the owner may read it, in a directory only the owner can list.
  expect(fs.statSync(ref.file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(ref.file)).mode & 0o777).toBe(0o700);
  expect(readConfigFile(ref)).toEqual(JSON.parse(bytes.toString('utf8')));
});

test('a file that no longer has the announced hash is refused, naming both hashes', () => {
  const bytes = Buffer.from('{"a":1}');
  const ref = store().put(sha256(bytes), bytes);
  fs.writeFileSync(ref.file, '{"a":2}');
  expect(() => readConfigFile(ref)).toThrow(new RegExp(`changed before this worker read it \\(sha256 ${sha256(Buffer.from('{"a":2}'))}, expected ${ref.hash}\\)`));
});

test('a missing file is an error, not a crash or an empty document', () => {
  const bytes = Buffer.from('{"a":1}');
  const s = store();
  const ref = s.put(sha256(bytes), bytes);
  s.keepOnly([]);
  expect(fs.existsSync(ref.file)).toBe(false);
  expect(() => readConfigFile(ref)).toThrow(/ENOENT/);
});

test('keepOnly removes the files of configs no longer in use; dispose removes the directory', () => {
  const s = store();
  const one = Buffer.from('{"v":1}');
  const two = Buffer.from('{"v":2}');
  const r1 = s.put(sha256(one), one);
  const r2 = s.put(sha256(two), two);
  expect(path.dirname(r1.file)).toBe(path.dirname(r2.file));
  // Writing the same hash again reuses the file.
  expect(s.put(sha256(one), one)).toEqual(r1);
  s.keepOnly([sha256(two)]);
  expect(fs.existsSync(r1.file)).toBe(false);
  expect(fs.existsSync(r2.file)).toBe(true);
  // A removed config can be written again (a rollback to it).
  expect(readConfigFile(s.put(sha256(one), one))).toEqual({ v: 1 });
  s.dispose();
  expect(fs.existsSync(path.dirname(r1.file))).toBe(false);
});

test('a primary that was killed leaves its directory; the next one removes it, and never a live primary\'s', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'config-files-orphans-'));
  try {
    // A pid that is certainly gone: a child that already exited and was reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const orphan = path.join(tmp, `alb-runtime-config-${dead}-abc123`);
    const live = path.join(tmp, `alb-runtime-config-${process.pid}-def456`);
    const unrelated = path.join(tmp, 'alb-runtime-config-notapid');
    for (const d of [orphan, live, unrelated]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'x.json'), '{"cookieSecret":"s"}');
    }
    expect(removeOrphanedConfigDirs(tmp)).toEqual([orphan]);
    expect([fs.existsSync(orphan), fs.existsSync(live), fs.existsSync(unrelated)]).toEqual([false, true, true]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the directory is named after the primary\'s pid', () => {
  const bytes = Buffer.from('{}');
  const ref = store().put(sha256(bytes), bytes);
  expect(path.basename(path.dirname(ref.file))).toMatch(new RegExp(`^alb-runtime-config-${process.pid}-`));
});
