/**
 * JD's quota-sized LB: 20 listeners, 20 backend services, 20 server groups of 100 targets,
 * every backend service using every group (40 000 resolved targets in the document).
 * The issue asks for under 10 s; the assertion is loose (shared 2-core machines), the
 * measured figure is printed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { BackendProtocol, ListenerProtocol } from '../../index';
import { LbConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { loadBalancer, world } from './helpers';

it('synthesizes 20 listeners × 20 backends × 20 groups × 100 targets', () => {
  const started = process.hrtime.bigint();
  const w = world();
  const lb = loadBalancer(w);
  const groups = Array.from({ length: 20 }, (_, g) => {
    const group = lb.addServerGroup(`group-${g}`);
    for (let t = 0; t < 100; t++) group.addTarget({ address: `127.100.${g}.${t + 1}`, port: 9000 + (t % 3), weight: 1 + (t % 100) });
    return group;
  });
  const backends = Array.from({ length: 20 }, (_, b) => {
    const backend = lb.addBackendService(`backend-${b}`, { protocol: BackendProtocol.HTTP, port: 8080 });
    groups.forEach((g) => backend.addServerGroup(g));
    return backend;
  });
  backends.forEach((backend, l) => lb.addListener(`listener-${l}`, { protocol: ListenerProtocol.HTTP, port: 10000 + l, backendService: backend }));
  const constructed = process.hrtime.bigint();
  const outdir = Testing.fullSynth(w.stack);
  const finished = process.hrtime.bigint();
  try {
    const doc: LbConfig = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'test', 'alb', `${lb.loadBalancerId}.json`), 'utf8'));
    expect(doc.listeners).toHaveLength(20);
    expect(doc.backendServices).toHaveLength(20);
    expect(doc.backendServices.reduce((n, b) => n + b.targets.length, 0)).toBe(40000);
    expect(validateLbConfig(doc)).toEqual([]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const constructMs = Number(constructed - started) / 1e6;
  const synthMs = Number(finished - constructed) / 1e6;
  process.stdout.write(`scale synth: construct ${constructMs.toFixed(0)} ms + synth ${synthMs.toFixed(0)} ms = ${(constructMs + synthMs).toFixed(0)} ms\n`);
  expect(constructMs + synthMs).toBeLessThan(30000);
}, 120000);
