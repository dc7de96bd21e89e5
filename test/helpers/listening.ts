/**
 * "Does anything still listen at ADDRESS:PORT?" answered from the kernel's socket table
 * rather than by connecting. A connect is the wrong probe for "this process stopped
 * listening": a suite running in parallel may listen on the wildcard address (0.0.0.0, ::)
 * with the same port number (ports handed out by bind-to-0 are reused at once), and a connect
 * to 127.x.y.z:PORT then reaches that unrelated listener. /proc/net/tcp names the exact local
 * address, so only a socket bound to ADDRESS itself counts.
 */
import * as fs from 'node:fs';

const LISTEN = '0A'; // TCP_LISTEN in /proc/net/tcp's `st` column

/** /proc/net/tcp's spelling of an IPv4 address: the 32-bit value in host (little-endian) order. */
function procAddress(address: string): string {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`listensOn: ${address} is not an IPv4 address`);
  }
  return octets.reverse().map((o) => o.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** True when a TCP socket bound to exactly `address`:`port` is listening in this network namespace. */
export function listensOn(address: string, port: number): boolean {
  const wanted = `${procAddress(address)}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const columns = line.trim().split(/\s+/);
      return columns[1] === wanted && columns[3] === LISTEN;
    });
}
