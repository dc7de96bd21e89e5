/**
 * SSH host keys as Terraform's `connection { host_key = ... }` takes them: one OpenSSH public
 * key, "<type> <base64 blob>". Terraform writes it into a one-line known_hosts file as
 * `@cert-authority <host> <key>`, so the same value verifies a host that presents exactly
 * this key, or a host certificate signed by it (a CA key).
 *
 * The value is checked here, at synth, so that a pasted fragment, a private key, a host
 * certificate or a DSA key fails with a line naming the field, not as an opaque "knownhosts:
 * key mismatch" timeout at apply. The check decodes the blob and walks its fields (RFC 4253
 * §6.6, RFC 5656 §3.1, RFC 8709 §4): the type string inside must be the one in front, and
 * the key material must have the size its type demands.
 */
import { Issue, issue } from './messages';

/** Host key types Terraform's SSH client (golang.org/x/crypto/ssh) and current OpenSSH both accept. */
export const HOST_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;

/** Public-point sizes of the ECDSA curves (uncompressed: 0x04 || X || Y). */
const ECDSA_POINT_BYTES: { [curve: string]: number } = { nistp256: 65, nistp384: 97, nistp521: 133 };
const ED25519_KEY_BYTES = 32;
/** OpenSSH's RequiredRSASize default: smaller RSA keys are refused by ssh itself. */
export const MIN_RSA_BITS = 1024;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CERT_SUFFIX = '-cert-v01@openssh.com';

/** A checked key: `normalized` is what goes into host_key (no comment, no host names). */
export type ParsedHostKey = { ok: true; type: string; normalized: string } | { ok: false; problem: string };

/** Length-prefixed strings of an SSH wire blob, or null when the blob does not split into them exactly. */
function wireStrings(blob: Buffer): Buffer[] | null {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return null;
    const length = blob.readUInt32BE(at);
    at += 4;
    if (at + length > blob.length) return null;
    parts.push(blob.subarray(at, at + length));
    at += length;
  }
  return parts;
}

/** What is wrong with the key material of a blob whose type string is `type` (null: nothing). */
function materialProblem(type: string, fields: Buffer[]): string | null {
  if (type === 'ssh-ed25519') {
    return fields.length === 2 && fields[1].length === ED25519_KEY_BYTES ? null : `is not an ssh-ed25519 key (a ${ED25519_KEY_BYTES}-byte key expected)`;
  }
  if (type.startsWith('ecdsa-sha2-')) {
    const curve = type.slice('ecdsa-sha2-'.length);
    if (fields.length !== 3 || fields[1].toString('latin1') !== curve) return `is not an ${type} key (its curve field must be "${curve}")`;
    const point = fields[2];
    return point.length === ECDSA_POINT_BYTES[curve] && point[0] === 0x04 ? null : `is not an ${type} key (an uncompressed ${ECDSA_POINT_BYTES[curve]}-byte point expected)`;
  }
  // ssh-rsa: exponent, modulus (mpints; a leading zero byte keeps them positive).
  if (fields.length !== 3) return 'is not an ssh-rsa key (exponent and modulus expected)';
  const modulus = fields[2][0] === 0 ? fields[2].subarray(1) : fields[2];
  const bits = modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]));
  return bits >= MIN_RSA_BITS ? null : `is an RSA key of ${bits} bits (ssh refuses RSA keys under ${MIN_RSA_BITS} bits)`;
}

/**
 * Parses an OpenSSH public key line: `<type> <base64> [comment]` (a .pub file), or a
 * known_hosts / ssh-keyscan line `<hosts> <type> <base64> [comment]`.
 */
export function parseHostKey(text: unknown): ParsedHostKey {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, problem: 'is empty' };
  if (/PRIVATE KEY/.test(text)) return { ok: false, problem: 'is a private key' };
  if (/[\r\n]/.test(text.trim())) return { ok: false, problem: 'is more than one line' };
  const tokens = text.trim().split(/\s+/);
  if (tokens[0].startsWith('@')) return { ok: false, problem: `is a known_hosts line with the marker ${tokens[0]}` };
  const looksLikeType = (t: string | undefined) => t !== undefined && /^(ssh-|ecdsa-|sk-)/.test(t);
  // A known_hosts line starts with the host names; the key follows.
  const at = !looksLikeType(tokens[0]) && looksLikeType(tokens[1]) ? 1 : 0;
  const type = tokens[at];
  const body = tokens[at + 1];
  if (type.endsWith(CERT_SUFFIX)) return { ok: false, problem: `is a certificate (${type}), not a public key` };
  if (type === 'ssh-dss') return { ok: false, problem: 'is a DSA key (ssh-dss), which OpenSSH and Terraform no longer accept' };
  if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) return { ok: false, problem: `has the key type ${JSON.stringify(type)}` };
  if (body === undefined) return { ok: false, problem: `has no key after "${type}"` };
  const blob = BASE64.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : undefined;
  if (blob === undefined || blob.toString('base64') !== body) return { ok: false, problem: 'has a key body that is not base64' };
  const fields = wireStrings(blob);
  if (fields === null || fields.length === 0) return { ok: false, problem: 'has a key body that is not an SSH public key' };
  const inner = fields[0].toString('latin1');
  if (inner !== type) return { ok: false, problem: `says ${type} but its key body is of type ${JSON.stringify(inner)}` };
  const problem = materialProblem(type, fields);
  return problem === null ? { ok: true, type, normalized: `${type} ${body}` } : { ok: false, problem };
}

const ALLOWED_KEY = `one OpenSSH public key line "<type> <base64> [comment]" of type ${HOST_KEY_TYPES.join(', ')}`;

/** Field errors of a host's key (`what`: 'hostKey' of one host, or the fleet's certificate authority). */
export function checkHostKey(path: string, field: string, value: unknown, what: 'host' | 'authority'): Issue[] {
  const parsed = parseHostKey(value);
  if (parsed.ok) return [];
  // Never echo a private key.
  const shown = typeof value === 'string' && /PRIVATE KEY/.test(value) ? '<redacted>' : value;
  const allowed = what === 'host'
    ? `${ALLOWED_KEY}: the host's own key, e.g. its /etc/ssh/ssh_host_ed25519_key.pub (a host with a certificate: the CA's public key as hostCertificateAuthority)`
    : `${ALLOWED_KEY}: the public key of the CA that signed the hosts' certificates (ssh-keygen -s ca -h ...)`;
  return [issue(path, field, shown, parsed.problem, allowed)];
}
