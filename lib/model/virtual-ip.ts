/**
 * A load balancer's virtual IP: one address that moves between the LB's nodes (VRRP,
 * keepalived), so a client talks to one address and a lost node does not break it.
 */
import { checkIntRange, cidrContains, isIpv4, parseCidr } from './check';
import { IntRange } from './limits';
import { Issue, issue } from './messages';

/** The LB's virtual IP (VRRP). */
export interface VirtualIp {
  /** The address clients use: inside the VPC, not the address of any host. */
  readonly address: string;
  /**
   * VRRP virtual router id, unique per LB on one network segment.
   * @default - derived from the LB's id (1..255); two LBs of one infrastructure that get the same one fail synth
   */
  readonly virtualRouterId?: number;
  /**
   * The network interface that carries the address.
   * @default - on each node, the interface holding the node's own address
   */
  readonly interface?: string;
  /**
   * VRRP advertisement interval in milliseconds (VRRPv3: centiseconds; a backup takes over
   * after about 3 intervals without advertisements).
   * @default 200
   */
  readonly advertisementIntervalMs?: number;
}

export const VIRTUAL_ROUTER_ID: IntRange = { min: 1, max: 255 };
export const ADVERTISEMENT_INTERVAL_MS: IntRange = { min: 10, max: 40950 };
export const DEFAULT_ADVERTISEMENT_INTERVAL_MS = 200;

/** FNV-1a of the LB id → 1..255: a stable default that differs between most LBs. */
export function defaultVirtualRouterId(lbId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < lbId.length; i++) {
    hash ^= lbId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 255) + 1;
}

/** Field errors of a vip prop of the LB at `path` in a VPC of `vpcCidr`. */
export function validateVirtualIp(path: string, vip: VirtualIp, vpcCidr: string): Issue[] {
  const errors: Issue[] = [];
  if (!isIpv4(vip?.address)) {
    errors.push(issue(path, 'vip.address', vip?.address, 'is not an IPv4 address', 'a dotted-quad IPv4 address inside the VPC'));
  } else {
    const cidr = parseCidr(vpcCidr);
    if (cidr !== undefined) {
      if (!cidrContains(cidr, vip.address)) {
        errors.push(issue(path, 'vip.address', vip.address, `is outside the VPC ${vpcCidr}`, `an address inside ${vpcCidr}`));
      }
    }
  }
  if (vip?.virtualRouterId !== undefined) errors.push(...checkIntRange(path, 'vip.virtualRouterId', vip.virtualRouterId, VIRTUAL_ROUTER_ID));
  if (vip?.advertisementIntervalMs !== undefined) {
    errors.push(...checkIntRange(path, 'vip.advertisementIntervalMs', vip.advertisementIntervalMs, ADVERTISEMENT_INTERVAL_MS, 'ms'));
    if (Number.isInteger(vip.advertisementIntervalMs) && vip.advertisementIntervalMs % 10 !== 0) {
      errors.push(issue(path, 'vip.advertisementIntervalMs', vip.advertisementIntervalMs, 'is not a whole number of centiseconds', 'a multiple of 10 ms (VRRPv3 counts centiseconds)'));
    }
  }
  if (vip?.interface !== undefined && (typeof vip.interface !== 'string' || !/^[A-Za-z0-9_.:@-]{1,15}$/.test(vip.interface))) {
    errors.push(issue(path, 'vip.interface', vip.interface, 'is not an interface name', '1..15 letters, digits, "_", ".", ":", "@", "-", e.g. "eth0"'));
  }
  return errors;
}
