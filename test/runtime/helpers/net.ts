/** Ports and raw-socket helpers for runtime tests (loopback only). */
import * as net from 'node:net';

/** A port that was free on `address` a moment ago (bind to 0, read, release). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Sends raw bytes on a fresh connection and collects everything until the server closes or
 * `waitMs` passes. Resolves with what came back and whether the server closed.
 */
export function rawExchange(address: string, port: number, data: Buffer | string, waitMs = 1500):
Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port });
    const chunks: Buffer[] = [];
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ response: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(done, waitMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => { closed = true; });
    sock.on('close', () => { closed = true; done(); });
    sock.on('connect', () => sock.write(data));
  });
}

export { sleep } from './wait';
