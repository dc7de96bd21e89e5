/** SHA-256 of the serialized LB config: the trigger that makes a config change reach the nodes. */
import { createHash } from 'crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
