/** Small field checks shared by the model's validators. Each returns messages, never throws. */
import { issue, Issue, withArticle } from './messages';
import { IntRange } from './limits';

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** An integer within range. */
export function checkIntRange(path: string, field: string, value: unknown, range: IntRange, unit = ''): Issue[] {
  const suffix = unit ? ` ${unit}` : '';
  if (!isInteger(value)) {
    return [issue(path, field, value, 'is not an integer', `an integer ${range.min}..${range.max}${suffix}`)];
  }
  if (value < range.min || value > range.max) {
    return [issue(path, field, value, 'is out of range', `${range.min}..${range.max}${suffix}`)];
  }
  return [];
}

/** -1 (unlimited) or an integer within range. */
export function checkLimit(path: string, field: string, value: unknown, range: IntRange): Issue[] {
  if (value === -1) return [];
  if (!isInteger(value) || value < range.min || value > range.max) {
    return [issue(path, field, value, 'is out of range', `-1 (unlimited) or ${range.min}..${range.max}`)];
  }
  return [];
}

/** A member of a string enum. */
export function checkEnum(path: string, field: string, value: unknown, values: readonly string[], enumName: string): Issue[] {
  if (typeof value === 'string' && values.includes(value)) return [];
  return [issue(path, field, value, `is not ${withArticle(enumName)}`, values.map((v) => `${enumName}.${v}`).join(', '))];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Dotted-quad IPv4 address without leading zeros. */
export function isIpv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4.test(value);
}

/** IPv4 address as an unsigned 32-bit integer. */
export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** A parsed IPv4 CIDR block. */
export interface Cidr {
  readonly network: number;
  readonly prefixLength: number;
}

/** Parses `a.b.c.d/n`; undefined when malformed. Host bits must be zero, as in every cloud VPC API. */
export function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^([^/]+)\/(\d{1,2})$/.exec(value);
  if (!match || !isIpv4(match[1])) return undefined;
  const prefixLength = Number(match[2]);
  if (prefixLength > 32) return undefined;
  const address = ipv4ToInt(match[1]);
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) return undefined;
  return { network: address, prefixLength };
}

/** Whether an IPv4 address lies in a CIDR block. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const size = 2 ** (32 - cidr.prefixLength);
  const value = ipv4ToInt(address);
  return value >= cidr.network && value < cidr.network + size;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A DNS host name (labels of letters, digits and hyphens), at most 253 characters. */
export function isHostname(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every((label) => LABEL.test(label));
}

/** An SNI certificate domain: `exact.name` or `*.suffix` (JD Cloud's two forms). */
export function isSniDomain(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return value.startsWith('*.') ? isHostname(value.slice(2)) : isHostname(value);
}

/**
 * Accepted-status list of HTTP health checks: comma-separated `2xx`-style classes, codes and
 * `a-b` ranges, all within 200..499 (JD Cloud's range).
 */
export function isHttpCodeList(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  return value.split(',').every((item) => {
    const part = item.trim();
    if (/^[234]xx$/.test(part)) return true;
    const range = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (!range) return false;
    const low = Number(range[1]);
    const high = range[2] === undefined ? low : Number(range[2]);
    return low >= 200 && high <= 499 && low <= high;
  });
}

/** RFC 6265 cookie-name token characters. */
export function isCookieName(value: unknown): boolean {
  return typeof value === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(value);
}

/** Characters allowed in an HTTP Host header value (a host name or IPv4, optionally :port). */
export function isHostHeader(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return false;
  if (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535)) return false;
  return isIpv4(match[1]) || isHostname(match[1]);
}
