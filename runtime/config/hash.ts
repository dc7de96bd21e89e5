import { createHash } from 'crypto';

/**
 * The identity of a config: sha256 over the file's bytes, hex. The reload CLI computes it
 * from the file it stages and waits until the node's /status reports the same value.
 */
export function configHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
