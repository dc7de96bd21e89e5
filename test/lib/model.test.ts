/** The pure model (no cdktf): field helpers and whole-tree rules. */
import {
  checkIntRange, cidrContains, isHttpCodeList, isIpv4, isSniDomain, parseCidr, validateLoadBalancerTree, WarningIds,
} from '../../lib/model';
import { ListenerProtocol, BackendProtocol, HealthCheckProtocol } from '../../lib/model/enums';
import { resolveHealthCheck } from '../../lib/model/health-check';
import { resolveListener } from '../../lib/model/listener';
import { renderIssue } from '../../lib/model/messages';
import { backend, ipTarget, LB, sampleTree, serverGroup } from './fixtures';

describe('field helpers', () => {
  it('IPv4 and CIDR', () => {
    expect(['127.0.0.1', '0.0.0.0', '255.255.255.255'].every(isIpv4)).toBe(true);
    expect(['256.0.0.1', '1.2.3', '01.2.3.4', 'a.b.c.d', '1.2.3.4 '].some(isIpv4)).toBe(false);
    const cidr = parseCidr('10.1.0.0/16')!;
    expect(cidrContains(cidr, '10.1.255.255')).toBe(true);
    expect(cidrContains(cidr, '10.2.0.0')).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, '203.0.113.9')).toBe(true);
    expect(parseCidr('10.1.0.1/16')).toBeUndefined();
    expect(parseCidr('10.1.0.0/33')).toBeUndefined();
  });

  it('SNI domains, status-code lists', () => {
    expect(['example.com', '*.example.com', 'a-b.c'].every(isSniDomain)).toBe(true);
    expect(['*', '*.', 'a.*', 'a..b', '-a.com', 'a_b.com'].some(isSniDomain)).toBe(false);
    expect(['2xx', '2xx,3xx', '200,202-207', '499', '4xx'].every(isHttpCodeList)).toBe(true);
    expect(['5xx', '199', '200-', '207-202', '', '200,,201'].some(isHttpCodeList)).toBe(false);
  });

  it('integer ranges name path, field, value and range', () => {
    expect(checkIntRange('p', 'f', 3, { min: 1, max: 5 })).toEqual([]);
    expect(checkIntRange('p', 'f', 'x', { min: 1, max: 5 }).map(renderIssue)).toEqual(['p: f "x" is not an integer; allowed: an integer 1..5']);
  });
});

describe('defaults', () => {
  it('listener idle timeout per protocol and unlimited limits', () => {
    const idle = (protocol: ListenerProtocol) => resolveListener({ path: 'l', protocol, port: 1 }).model.idleTimeoutSeconds;
    expect([idle(ListenerProtocol.TCP), idle(ListenerProtocol.TLS), idle(ListenerProtocol.HTTP), idle(ListenerProtocol.HTTPS)]).toEqual([1800, 1800, 60, 60]);
    const m = resolveListener({ path: 'l', protocol: ListenerProtocol.HTTPS, port: 443 }).model;
    expect([m.qpsLimit, m.connectionLimit, m.hsts, m.enabled]).toEqual([-1, -1, null, true]);
    expect(m.tlsPolicy).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null });
  });

  it('health check: JD defaults, protocol follows the backend', () => {
    const http = resolveHealthCheck('b', BackendProtocol.HTTP, undefined).model;
    expect(http).toEqual({
      enabled: true, protocol: HealthCheckProtocol.HTTP, port: 0, intervalSeconds: 5, timeoutSeconds: 3, healthyThresholdCount: 3,
      unhealthyThresholdCount: 3, httpVersion: 'HTTP1.0', domain: null, path: '/', healthyHttpCodes: '2xx,3xx',
    });
    expect(resolveHealthCheck('b', BackendProtocol.TCP, undefined).model.protocol).toBe(HealthCheckProtocol.TCP);
  });
});

describe('validateLoadBalancerTree', () => {
  it('accepts the sample tree (web2 is behind no listener: a warning, not an error)', () => {
    const result = validateLoadBalancerTree(sampleTree());
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => [w.id, w.path])).toEqual([[WarningIds.UNUSED_BACKEND_SERVICE, `${LB}/web2`]]);
  });

  it('reports a VPC error once even if the group serves two backends', () => {
    const tree = sampleTree();
    const group = serverGroup('outside', [ipTarget('192.168.0.1')]);
    const a = backend('a', BackendProtocol.HTTP, 80, [group]);
    const b = backend('b', BackendProtocol.HTTP, 80, [group]);
    const errors = validateLoadBalancerTree({ ...tree, backendServices: [...tree.backendServices, a, b], serverGroups: [...tree.serverGroups, group] }).errors;
    expect(errors.map(renderIssue)).toEqual([`${LB}/outside: target.address "192.168.0.1" is outside the VPC app/vpc of load balancer ${LB}; allowed: addresses in 10.0.0.0/16`]);
  });

  it('checks targets of server groups no backend uses', () => {
    const tree = sampleTree();
    const idle = serverGroup('idle', [ipTarget('11.0.0.1')]);
    expect(validateLoadBalancerTree({ ...tree, serverGroups: [...tree.serverGroups, idle] }).errors).toHaveLength(1);
  });

  it('warns with stable ids', () => {
    const tree = sampleTree();
    const empty = backend('empty', BackendProtocol.HTTP, 80, []);
    const result = validateLoadBalancerTree({ ...tree, backendServices: [...tree.backendServices, empty] });
    expect(result.warnings.map((w) => [w.id, w.path])).toEqual([
      [WarningIds.UNUSED_BACKEND_SERVICE, `${LB}/web2`],
      [WarningIds.NO_TARGETS, `${LB}/empty`], [WarningIds.UNUSED_BACKEND_SERVICE, `${LB}/empty`],
    ]);
  });
});
