/**
 * The node's admin endpoint (/healthz, /status, /metrics): where it binds and whether
 * /status and /metrics ask for a bearer token. One rule set, used by the LoadBalancer
 * construct at synth and by the runtime when it loads a config document.
 */
import { isIpv4 } from './check';
import { issue, Issue } from './messages';

/** The admin endpoint's settings as the config document carries them. */
export interface AdminEndpointModel {
  /** Address to bind, or null: the node's own address. */
  readonly bindAddress: string | null;
  /** Absolute path of a file on the node holding the bearer token, or null: no token asked. */
  readonly tokenFile: string | null;
}

/** IPv6 literal as the runtime can bind it (hex groups, `::`, optional dotted IPv4 tail). */
const IPV6 = /^(?=.*:)[0-9a-fA-F:]*(?:[0-9a-fA-F:]|\d+\.\d+\.\d+\.\d+)$/;

/** Problems of an admin endpoint's settings, each naming `path`, the field, its value and what is allowed. */
export function adminEndpointProblems(path: string, bindField: string, bindAddress: unknown,
  tokenField: string, tokenFile: unknown): Issue[] {
  const errors: Issue[] = [];
  if (bindAddress !== undefined && bindAddress !== null
    && !(isIpv4(bindAddress) || (typeof bindAddress === 'string' && IPV6.test(bindAddress)))) {
    errors.push(issue(path, bindField, bindAddress, 'is not an IP address',
      'an IPv4 or IPv6 address of the node, 127.0.0.1 (local only) or 0.0.0.0 (every address)'));
  }
  if (tokenFile !== undefined && tokenFile !== null
    && (typeof tokenFile !== 'string' || !tokenFile.startsWith('/') || /[\0\r\n]/.test(tokenFile))) {
    errors.push(issue(path, tokenField, tokenFile, 'is not an absolute file path',
      'the absolute path of a file on each node that holds the bearer token, e.g. /etc/alb/admin-token'));
  }
  return errors;
}
