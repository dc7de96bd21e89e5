/**
 * SHA-256 (hex), the one helper for it: the LB config's hash (the trigger that makes a config
 * change reach the nodes; the identity `reload` waits for in /status), the placement record's
 * hash, and the short hashes in generated names.
 */
import { createHash } from 'crypto';

/** SHA-256 of text (UTF-8) or bytes, as 64 hex characters. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
