/**
 * The host-key rule (lib/model/ssh-host-key.ts) against keys ssh-keygen really makes: every
 * accepted type, the forms users paste (.pub line, known_hosts / ssh-keyscan line), and blobs
 * whose inside contradicts their label.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MIN_RSA_BITS, parseHostKey } from '../../lib/model/ssh-host-key';
import { generateKey } from '../helpers/ssh-keys';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-key-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An SSH wire blob of length-prefixed strings. */
function blob(...parts: Buffer[]): string {
  return Buffer.concat(parts.flatMap((p) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(p.length);
    return [length, p];
  })).toString('base64');
}

test.each([
  ['ed25519', 'ssh-ed25519'], ['ecdsa256', 'ecdsa-sha2-nistp256'], ['ecdsa384', 'ecdsa-sha2-nistp384'], ['ecdsa521', 'ecdsa-sha2-nistp521'],
  ['rsa2048', 'ssh-rsa'], ['rsa1024', 'ssh-rsa'],
])('a %s key from ssh-keygen is accepted, normalized to "<type> <base64>" without its comment', (kind, type) => {
  const key = generateKey(dir, `k-${kind}`, kind, 'root@build host');
  const [, body] = key.publicLine.split(' ');
  expect(parseHostKey(key.publicLine)).toEqual({ ok: true, type, normalized: `${type} ${body}` });
  // As ssh-keyscan prints it, and as a known_hosts line: the host names in front are dropped.
  expect(parseHostKey(`10.20.0.11,web1 ${type} ${body}\n`)).toEqual({ ok: true, type, normalized: `${type} ${body}` });
});

test('keys whose body contradicts their label, or whose material has the wrong size, are refused', () => {
  const ed = generateKey(dir, 'k-label', 'ed25519').publicLine.split(' ')[1];
  expect(parseHostKey(`ssh-rsa ${ed}`)).toEqual({ ok: false, problem: 'says ssh-rsa but its key body is of type "ssh-ed25519"' });
  const type = (t: string) => Buffer.from(t, 'latin1');
  expect(parseHostKey(`ssh-ed25519 ${blob(type('ssh-ed25519'), Buffer.alloc(31, 1))}`)).toEqual({ ok: false, problem: 'is not an ssh-ed25519 key (a 32-byte key expected)' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
  expect(parseHostKey(`ecdsa-sha2-nistp256 ${blob(type('ecdsa-sha2-nistp256'), type('nistp384'), point)}`))
    .toEqual({ ok: false, problem: 'is not an ecdsa-sha2-nistp256 key (its curve field must be "nistp256")' });
  expect(parseHostKey(`ecdsa-sha2-nistp256 ${blob(type('ecdsa-sha2-nistp256'), type('nistp256'), point.subarray(0, 33))}`))
    .toEqual({ ok: false, problem: 'is not an ecdsa-sha2-nistp256 key (an uncompressed 65-byte point expected)' });
  const small = Buffer.concat([Buffer.from([0x00, 0xc1]), Buffer.alloc(63, 0xff)]); // 512 bits
  expect(parseHostKey(`ssh-rsa ${blob(type('ssh-rsa'), Buffer.from([1, 0, 1]), small)}`))
    .toEqual({ ok: false, problem: `is an RSA key of 512 bits (ssh refuses RSA keys under ${MIN_RSA_BITS} bits)` });
  // Trailing bytes after the last string.
  expect(parseHostKey(`ssh-ed25519 ${Buffer.concat([Buffer.from(blob(type('ssh-ed25519'), Buffer.alloc(32, 1)), 'base64'), Buffer.from([0, 0])]).toString('base64')}`))
    .toEqual({ ok: false, problem: 'has a key body that is not an SSH public key' });
});

test('what is not one public key says what it is instead', () => {
  expect(parseHostKey(undefined)).toEqual({ ok: false, problem: 'is empty' });
  expect(parseHostKey('  ')).toEqual({ ok: false, problem: 'is empty' });
  const ed = generateKey(dir, 'k-two', 'ed25519').publicLine;
  expect(parseHostKey(`${ed}\n${ed}`)).toEqual({ ok: false, problem: 'is more than one line' });
  expect(parseHostKey(`@cert-authority * ${ed}`)).toEqual({ ok: false, problem: 'is a known_hosts line with the marker @cert-authority' });
  expect(parseHostKey('ecdsa-sha2-nistp256')).toEqual({ ok: false, problem: 'has no key after "ecdsa-sha2-nistp256"' });
  expect(parseHostKey('sk-ssh-ed25519@openssh.com AAAA')).toEqual({ ok: false, problem: 'has the key type "sk-ssh-ed25519@openssh.com"' });
});
