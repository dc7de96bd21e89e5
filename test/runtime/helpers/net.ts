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

/** The first bytes of a TLS 1.2 ClientHello record that announces 512 bytes and sends 40 (a stalled handshake). */
export const PARTIAL_CLIENT_HELLO = Buffer.concat([
  Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
  Buffer.alloc(29, 0x42),
]);
