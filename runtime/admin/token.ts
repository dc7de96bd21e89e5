/**
 * The admin endpoint's bearer token: read from a file on the node (config `admin.tokenFile`),
 * compared in constant time. The token is never logged, never part of /status, and errors
 * name the file, not its content.
 */
import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';

/** RFC 6750 b64token: what may follow `Bearer ` in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token in `file` (surrounding whitespace and the final newline ignored); throws naming the file. */
export function readAdminToken(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`admin token file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16 || !B64TOKEN.test(token)) {
    throw new Error(`admin token file ${file} does not hold a bearer token (at least 16 characters of A-Z a-z 0-9 - . _ ~ + /, e.g. \`openssl rand -hex 32\`)`);
  }
  return token;
}

/** True when the Authorization header value is `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The Authorization header for `token` (clients: the CLI's status and reload). */
export function bearerHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
