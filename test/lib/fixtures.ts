/** A pure-model LB tree (no cdktf) covering every kind of listener and target. */
import { AttachedBackendServiceModel, LoadBalancerTree, ServerGroupModel } from '../../lib/model/load-balancer';
import { resolveBackendService } from '../../lib/model/backend-service';
import { resolveListener } from '../../lib/model/listener';
import { BackendProtocol, HealthCheckProtocol, ListenerProtocol, Algorithm } from '../../lib/model/enums';
import { limits } from '../../lib/model';
import { IssueError } from '../../lib/model/messages';

export const LB = 'app/lb';

export function serverGroup(name: string, targets: ServerGroupModel['targets'], lbPath = LB): ServerGroupModel {
  return { path: `${lbPath}/${name}`, loadBalancerPath: lbPath, targets };
}

export function ipTarget(address: string, port = 0, weight = 10) {
  return { address, port, weight, instance: null, instanceVpcPath: null };
}

export function backend(name: string, protocol: BackendProtocol, port: number, groups: ServerGroupModel[], extra: object = {}): AttachedBackendServiceModel {
  const { model, errors } = resolveBackendService({ path: `${LB}/${name}`, protocol, port, ...extra });
  if (errors.length) throw new IssueError(errors);
  return { ...model, loadBalancerPath: LB, serverGroups: groups, availabilityGroups: [], attachmentOrder: groups.map(() => 'serverGroup' as const) };
}

export function sampleTree(): LoadBalancerTree {
  const legacy = serverGroup('legacy', [ipTarget('10.0.0.1'), ipTarget('10.0.0.1', 9002, 0)]);
  const web = backend('web', BackendProtocol.HTTP, 8080, [legacy], {
    algorithm: Algorithm.WEIGHTED_LEAST_CONNECTIONS, sessionPersistence: { cookieTimeoutSeconds: 30 },
    healthCheck: { protocol: HealthCheckProtocol.HTTP, path: '/healthz', intervalSeconds: 10, timeoutSeconds: 2 },
    forwardedHeaders: { proto: true },
  });
  const web2 = {
    ...backend('web2', BackendProtocol.HTTP, 8081, [legacy]),
    availabilityGroups: [{ path: 'app/ag', vpcPath: 'app/vpc', port: 7000, defaultWeight: 7, instances: [{ name: 'ag-az-1-r1-0', address: '10.0.1.1', zone: 'az-1', rack: 'r1' }] }],
    attachmentOrder: ['availabilityGroup' as const, 'serverGroup' as const],
  };
  const db = backend('db', BackendProtocol.TCP, 5432, [serverGroup('db', [ipTarget('10.0.0.2')])], { proxyProtocol: true, algorithm: Algorithm.SOURCE_IP_HASH });
  const cert = { name: 'site', certFile: '/etc/site.pem', keyFile: '/etc/site.key' };
  const listener = (name: string, protocol: ListenerProtocol, port: number, b: AttachedBackendServiceModel, extra: object = {}, certs = protocol === ListenerProtocol.HTTPS || protocol === ListenerProtocol.TLS ? [cert] : []) => {
    const { model, errors } = resolveListener({ path: `${LB}/${name}`, protocol, port, ...extra });
    if (errors.length) throw new IssueError(errors);
    return { ...model, certificates: certs, sniCertificates: [], backendService: b, urlMap: null };
  };
  return {
    path: LB,
    vpc: { path: 'app/vpc', cidrBlock: '10.0.0.0/16' },
    adminPort: limits.DEFAULT_ADMIN_PORT,
    quotas: { ...limits.DEFAULT_QUOTAS },
    listeners: [
      listener('http', ListenerProtocol.HTTP, 80, web),
      listener('https', ListenerProtocol.HTTPS, 443, web, { hsts: { includeSubDomains: true }, qpsLimit: 1000 }),
      listener('tcp', ListenerProtocol.TCP, 5432, db, { connectionLimit: 100 }),
      listener('tls', ListenerProtocol.TLS, 5433, db, { tlsPolicy: { minVersion: 'TLSv1.3' } }),
    ],
    backendServices: [web, web2, db],
    serverGroups: [web.serverGroups[0], db.serverGroups[0]],
    urlMaps: [],
  };
}
