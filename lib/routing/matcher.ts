/**
 * The one implementation of URL-map precedence, compiled once per config load (docs/constructs.md,
 * "Forwarding rules: precedence"):
 *
 *   1. Among the rules whose host and path both match the request, the most specific host
 *      wins: an exact host, then the longest `*.suffix`, then the longest `prefix.*`, then
 *      rules without a host.
 *   2. Within that host, the most specific path wins: an exact path, then the longest prefix.
 *   3. No rule matches: the listener's default backend service.
 *
 * A host whose rules all miss the path falls through to the next, less specific host
 * pattern (step 1 ranks only rules that match both). Compiling sorts everything once; a
 * lookup is a Map probe for the exact host, `endsWith`/`startsWith` scans of the (short)
 * sorted wildcard lists and of the path table's prefixes, and allocates nothing when the
 * request target has no query string.
 */
import { HostKind, HostPattern, parseHostPattern, parsePathPattern, PathKind, PathPattern } from './patterns';

/** One rule as the matcher sees it. */
export interface MatchRule {
  readonly host?: string | null;
  readonly path?: string | null;
}

/** The rules of one host pattern: exact paths in a map, prefixes longest first. */
class PathTable {
  readonly exact = new Map<string, number>();
  prefixes: string[] = [];
  prefixRules: number[] = [];

  add(pattern: PathPattern, rule: number): void {
    if (pattern.kind === PathKind.EXACT) {
      if (!this.exact.has(pattern.text)) this.exact.set(pattern.text, rule);
      return;
    }
    if (this.prefixes.includes(pattern.text)) return;
    this.prefixes.push(pattern.text);
    this.prefixRules.push(rule);
  }

  seal(): void {
    const order = this.prefixes.map((_, i) => i).sort((a, b) => this.prefixes[b].length - this.prefixes[a].length);
    this.prefixes = order.map((i) => this.prefixes[i]);
    this.prefixRules = order.map((i) => this.prefixRules[i]);
  }

  /** `path` is the request target up to `?` (`pathEnd`); `url` the whole target. */
  match(url: string, pathEnd: number, path: string | null): number {
    if (this.exact.size !== 0) {
      const hit = this.exact.get(path === null ? url : path);
      if (hit !== undefined) return hit;
    }
    const prefixes = this.prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i];
      if (p.length <= pathEnd && url.startsWith(p)) return this.prefixRules[i];
    }
    return -1;
  }
}

interface WildcardHost {
  readonly text: string;
  readonly table: PathTable;
}

export class UrlMatcher {
  private readonly exactHosts = new Map<string, PathTable>();
  /** `*.suffix` hosts, longest suffix first. */
  private readonly suffixHosts: WildcardHost[] = [];
  /** `prefix.*` hosts, longest prefix first. */
  private readonly prefixHosts: WildcardHost[] = [];
  private readonly anyHost: PathTable | null;
  /** False when no rule names a host: the Host header need not be looked at. */
  readonly usesHost: boolean;
  readonly hostPatterns: readonly HostPattern[];
  readonly pathPatterns: readonly PathPattern[];

  /**
   * Compiles rules (in any order; the order does not matter for precedence). Throws when a
   * pattern is invalid — the config validator refuses such documents before this runs.
   * When two rules have the same host and path (refused at synth) the first one is kept.
   */
  constructor(rules: readonly MatchRule[]) {
    const hosts: HostPattern[] = [];
    const paths: PathPattern[] = [];
    let any: PathTable | null = null;
    const suffix = new Map<string, PathTable>();
    const prefix = new Map<string, PathTable>();
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const host = parseHostPattern(rule.host);
      const path = parsePathPattern(rule.path);
      if (typeof host === 'string') throw new Error(`rule ${i}: host ${JSON.stringify(rule.host)} ${host}`);
      if (typeof path === 'string') throw new Error(`rule ${i}: path ${JSON.stringify(rule.path)} ${path}`);
      hosts.push(host);
      paths.push(path);
      let table: PathTable | undefined;
      if (host.kind === HostKind.ANY) table = any ??= new PathTable();
      else {
        const byText = host.kind === HostKind.EXACT ? this.exactHosts : host.kind === HostKind.SUFFIX ? suffix : prefix;
        table = byText.get(host.text);
        if (table === undefined) byText.set(host.text, table = new PathTable());
      }
      table.add(path, i);
    }
    for (const t of this.exactHosts.values()) t.seal();
    const longestFirst = (m: Map<string, PathTable>): WildcardHost[] => [...m]
      .map(([text, table]) => { table.seal(); return { text, table }; })
      .sort((a, b) => b.text.length - a.text.length);
    this.suffixHosts = longestFirst(suffix);
    this.prefixHosts = longestFirst(prefix);
    any?.seal();
    this.anyHost = any;
    this.usesHost = hosts.some((h) => h.kind !== HostKind.ANY);
    this.hostPatterns = hosts;
    this.pathPatterns = paths;
  }

  /**
   * Index of the winning rule, or -1 (the listener's default backend).
   * @param host the request host as ./patterns.ts requestHost() gives it ('' when unknown)
   * @param url the request target (origin form: starts with `/`, may carry `?query`)
   */
  match(host: string, url: string): number {
    const q = url.indexOf('?');
    const pathEnd = q === -1 ? url.length : q;
    // Exact paths are Map keys: the query-less target is used as it is, a query costs one slice.
    const path = q === -1 ? null : url.slice(0, q);
    if (host.length !== 0) {
      if (this.exactHosts.size !== 0) {
        const t = this.exactHosts.get(host);
        if (t !== undefined) {
          const r = t.match(url, pathEnd, path);
          if (r !== -1) return r;
        }
      }
      const suffixes = this.suffixHosts;
      for (let i = 0; i < suffixes.length; i++) {
        const s = suffixes[i];
        if (host.length > s.text.length && host.endsWith(s.text)) {
          const r = s.table.match(url, pathEnd, path);
          if (r !== -1) return r;
        }
      }
      const prefixes = this.prefixHosts;
      for (let i = 0; i < prefixes.length; i++) {
        const p = prefixes[i];
        if (host.length > p.text.length && host.startsWith(p.text)) {
          const r = p.table.match(url, pathEnd, path);
          if (r !== -1) return r;
        }
      }
    }
    return this.anyHost === null ? -1 : this.anyHost.match(url, pathEnd, path);
  }
}
