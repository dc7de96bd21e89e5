/**
 * The precedence table of docs/constructs.md ("Forwarding rules"), run row by row against the
 * matcher the runtime compiles (lib/routing/matcher.ts). The rows are read from the doc, so the
 * doc and the code cannot disagree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UrlMatcher } from '../../lib/routing/matcher';
import { hostCapture, parseHostPattern, parsePathPattern, pathCapture, requestHost, HostPattern, PathPattern } from '../../lib/routing/patterns';

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'constructs.md'), 'utf8');

function tableRows(marker: string): string[][] {
  const start = DOC.indexOf(`<!-- ${marker}:start -->`);
  const end = DOC.indexOf(`<!-- ${marker}:end -->`);
  if (start === -1 || end === -1) throw new Error(`docs/constructs.md lacks the ${marker} table`);
  return DOC.slice(start, end).split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // header and separator
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

const dash = (cell: string): string | null => (cell === '-' ? null : cell.replace(/`/g, ''));

const rules = tableRows('precedence-rules').map(([name, host, p]) => ({ name, host: dash(host), path: dash(p) }));
const cases = tableRows('precedence-cases').map(([host, target, rule, why]) => ({ host: dash(host), target, rule: dash(rule), why }));

describe('URL-map precedence (docs/constructs.md table)', () => {
  it('reads both tables from the doc', () => {
    expect(rules.length).toBeGreaterThanOrEqual(12);
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  const matcher = new UrlMatcher(rules);
  // Precedence must not depend on the order rules were added in.
  const reversed = [...rules].reverse();
  const reversedMatcher = new UrlMatcher(reversed);

  it.each(cases)('Host $host, $target → $rule ($why)', ({ host, target, rule }) => {
    const h = requestHost(host);
    const index = matcher.match(h, target);
    expect(index === -1 ? null : rules[index].name).toBe(rule);
    const r = reversedMatcher.match(h, target);
    expect(r === -1 ? null : reversed[r].name).toBe(rule);
  });

  it('a map of rules without hosts does not need the Host header', () => {
    expect(new UrlMatcher([{ path: '/a' }, { path: '/b/*' }]).usesHost).toBe(false);
    expect(matcher.usesHost).toBe(true);
  });

  it('an empty map matches nothing', () => {
    expect(new UrlMatcher([]).match('a.example.com', '/')).toBe(-1);
  });
});

describe('URL-map patterns', () => {
  it.each([
    ['api.example.com', 'exact'], ['API.example.COM', 'exact'], ['*.example.com', 'suffix'], ['www.*', 'prefix'],
    ['10.0.0.1', 'exact'], ['a'.repeat(63) + '.' + 'b'.repeat(46), 'exact'],
  ])('host %s is accepted', (pattern) => {
    expect(typeof parseHostPattern(pattern)).toBe('object');
  });

  it.each([
    ['*', 'bare'], ['', 'empty'], ['a.*.com', 'not a leading'], ['*.*.com', 'more than one'], ['*example.com', 'not a leading'],
    ['ex ample.com', 'not a host name'], ['exa_mple.com', 'not a host name'], ['a'.repeat(111), '111 characters'],
    ['*.', 'not a host name after'], ['.*', 'not a host name before'],
  ])('host %j is refused (%s)', (pattern, reason) => {
    const r = parseHostPattern(pattern);
    expect(typeof r).toBe('string');
    expect(r).toContain(reason);
  });

  it.each([['/'], ['/ping'], ['/v1/*'], ['/*'], ['/x*'], ['/a-b_c.d~e/%20/:@'], ['/' + 'a'.repeat(127)]])('path %s is accepted', (pattern) => {
    expect(typeof parsePathPattern(pattern)).toBe('object');
  });

  it.each([
    ['ping', 'does not start with "/"'], ['/a*b', 'character'], ['/a?b', 'character'], ['/a b', 'character'],
    ['/a#b', 'character'], ['/é', 'character'], ['/**', 'character'], ['/' + 'a'.repeat(128), '129 characters'],
  ])('path %j is refused (%s)', (pattern, reason) => {
    const r = parsePathPattern(pattern);
    expect(typeof r).toBe('string');
    expect(r).toContain(reason);
  });

  it('captures what the * stood for', () => {
    const host = (p: string) => parseHostPattern(p) as HostPattern;
    const route = (p: string) => parsePathPattern(p) as PathPattern;
    expect(hostCapture(host('*.example.com'), 'a.b.example.com')).toBe('a.b');
    expect(hostCapture(host('www.*'), 'www.example.org')).toBe('example.org');
    expect(hostCapture(host('api.example.com'), 'api.example.com')).toBe('');
    expect(pathCapture(route('/old/*'), '/old/a/b')).toBe('a/b');
    expect(pathCapture(route('/old'), '/old')).toBe('');
  });

  it('reads the request host without port, in lower case', () => {
    expect(requestHost('Example.COM:8080')).toBe('example.com');
    expect(requestHost('example.com')).toBe('example.com');
    expect(requestHost('[::1]:80')).toBe('[::1]');
    expect(requestHost('[::1]')).toBe('[::1]');
    expect(requestHost(null)).toBe('');
  });
});
