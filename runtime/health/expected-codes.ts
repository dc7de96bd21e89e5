/**
 * Accepted HTTP status codes of an HTTP health check, JD Cloud syntax: a comma-separated list
 * of classes (`2xx`), single codes (`200`) and ranges (`202-207`), e.g. `2xx,3xx` or
 * `200,202-207`. Compiled once into a lookup table.
 */
export class ExpectedCodes {
  readonly spec: string;
  private readonly accepted = new Uint8Array(600);

  constructor(spec: string) {
    this.spec = spec;
    if (typeof spec !== 'string' || spec.trim() === '') {
      throw new Error(`healthCheck.httpCodes must list status codes like "2xx,3xx" or "200,202-207", got ${JSON.stringify(spec)}`);
    }
    for (const raw of spec.split(',')) {
      const item = raw.trim();
      let m: RegExpMatchArray | null;
      if ((m = /^([1-5])xx$/i.exec(item)) !== null) {
        const base = Number(m[1]) * 100;
        this.acceptRange(base, base + 99, item);
      } else if ((m = /^(\d{3})-(\d{3})$/.exec(item)) !== null) {
        this.acceptRange(Number(m[1]), Number(m[2]), item);
      } else if ((m = /^(\d{3})$/.exec(item)) !== null) {
        this.acceptRange(Number(m[1]), Number(m[1]), item);
      } else {
        throw new Error(`healthCheck.httpCodes: ${JSON.stringify(item)} in ${JSON.stringify(spec)} is not a class (2xx), a code (200) or a range (202-207)`);
      }
    }
  }

  matches(code: number): boolean {
    return code >= 0 && code < this.accepted.length && this.accepted[code] === 1;
  }

  private acceptRange(from: number, to: number, item: string): void {
    if (from < 100 || to > 599 || from > to) {
      throw new Error(`healthCheck.httpCodes: ${JSON.stringify(item)} is not a range of status codes within 100..599`);
    }
    this.accepted.fill(1, from, to + 1);
  }
}
