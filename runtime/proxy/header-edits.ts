/**
 * Header fields a URL-map rule sets or removes (JD Cloud's insert/delete header actions):
 * compiled once per config load into a lower-case name set plus a length filter, applied per
 * request to a flat [name, value, ...] list.
 */
import type { HeaderRulesConfig } from '../../lib/config/types';

/** Header fields a rule sets or removes, ready for the per-request filter. */
export interface HeaderEdits {
  /** Lower-case names to drop (removed ones and the ones `set` replaces). */
  readonly drop: ReadonlySet<string>;
  /** `lengths[n]` is 1 when a dropped name has n characters: most fields skip the lower-casing. */
  readonly lengths: Uint8Array;
  /** Flat [name, value, ...] list appended after the filter. */
  readonly set: readonly string[];
}

/** Compiles a rule's header rules; null when it has none. */
export function headerEdits(rules: HeaderRulesConfig | null): HeaderEdits | null {
  if (rules === null) return null;
  const drop = new Set<string>();
  const set: string[] = [];
  for (const name of rules.remove) drop.add(name.toLowerCase());
  for (const f of rules.set) {
    drop.add(f.name.toLowerCase());
    set.push(f.name, f.value);
  }
  const lengths = new Uint8Array(256);
  for (const n of drop) if (n.length < 256) lengths[n.length] = 1;
  return { drop, lengths, set };
}

/**
 * Removes the fields `edits` drops from a flat [name, value, ...] list, in place, then appends
 * the ones it sets.
 */
export function applyHeaderEdits(headers: string[], edits: HeaderEdits): void {
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length < 256 && edits.lengths[name.length] === 1 && edits.drop.has(name.toLowerCase())) continue;
    headers[w++] = name;
    headers[w++] = headers[i + 1];
  }
  headers.length = w;
  const set = edits.set;
  for (let i = 0; i < set.length; i++) headers.push(set[i]);
}
