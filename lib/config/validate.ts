/**
 * Validates an LB config document: the schema version, the JSON Schema (lib/config/schema.json,
 * generated from types.ts), the cross-references a schema cannot express, and the model's own
 * rules (lib/model: ports, protocol pairing, certificates, weights, cookie timeouts and names,
 * SNI domains, health-check paths, URL-map rule routes, forward-only settings, mirrors and their body bound, URL
 * maps on HTTP listeners only) — the same functions that check a construct tree at synth, so a
 * rule is written once and a document with the same mistake is refused with the same line.
 * The runtime calls this before it serves or reloads a document. Excluded from the jsii build
 * (it imports ajv).
 *
 * Problems are lib/model Issues. Those found by a model rule are about the part of the
 * document a construct produced and name that construct's path (which the document records);
 * the others name a JSON pointer into the document.
 */
import Ajv, { ErrorObject } from 'ajv';
import { adminEndpointProblems } from '../model/admin-endpoint';
import { checkCookieTimeout, checkSessionPersistenceProtocol, checkUniqueCookieNames } from '../model/backend-service';
import { BackendProtocol, ListenerProtocol } from '../model/enums';
import { checkHealthCheckPath } from '../model/health-check';
import { checkListenerCertificates, checkProtocolPairing, checkSniDomain, checkUniquePorts } from '../model/listener';
import { adminPortOwner } from '../model/load-balancer';
import { dedupeIssues as dedupe, issue, Issue, IssueError, MISSING, withArticle } from '../model/messages';
import { checkUniqueTargetIds, checkWeight } from '../model/target';
import { checkForwardOnly, checkListenerUrlMap, checkMirrorMaxBodyBytes, checkMirrorTarget, checkRuleRoute, RuleRoute } from '../model/url-map';
import schema from './schema.json';
import { LB_CONFIG_SCHEMA_VERSION, LbConfig } from './types';

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Every problem of the document; an empty list means it is valid and may be cast to LbConfig. */
export function validateLbConfig(doc: unknown): Issue[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [issue('/', '', doc === null ? null : Array.isArray(doc) ? 'an array' : typeof doc, 'is not an LB config', 'a JSON object (an LB config document)')];
  }
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (version !== LB_CONFIG_SCHEMA_VERSION) {
    // Checked before the schema: a document of another version would drown in unrelated errors.
    return [issue('/schemaVersion', '', version === undefined ? MISSING : version,
      version === undefined ? 'is missing' : 'is not understood by this runtime',
      `schemaVersion ${LB_CONFIG_SCHEMA_VERSION} (re-synthesize with the cdktf-alb version that matches this runtime)`)];
  }
  const validate = validator();
  if (!validate(doc)) {
    return dedupe((validate.errors ?? []).map(schemaIssue));
  }
  const config = doc as LbConfig;
  return [...crossReferenceIssues(config), ...modelRuleIssues(config)];
}

/** Throws an IssueError listing every problem; returns the typed document otherwise. */
export function assertValidLbConfig(doc: unknown, source = 'LB config'): LbConfig {
  const issues = validateLbConfig(doc);
  if (issues.length > 0) throw new IssueError(issues, `${source} is invalid:`);
  return doc as LbConfig;
}

function schemaIssue(e: ErrorObject): Issue {
  const where = e.instancePath || '/';
  const child = (name: string) => `${e.instancePath}/${name}`;
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      return issue(child(name), '', (e.data as Record<string, unknown>)[name], 'is not a known property', `the properties ${Object.keys(parent.properties ?? {}).join(', ')}`);
    }
    case 'required': {
      const name = (e.params as { missingProperty: string }).missingProperty;
      return issue(child(name), '', MISSING, 'is missing', describe((parent.properties ?? {})[name] ?? {}));
    }
    case 'enum':
      return issue(where, '', e.data, 'is not one of the allowed values', (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', '));
    default:
      return issue(where, '', e.data, e.message ?? 'is invalid', describe(parent));
  }
}

interface SchemaNode {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  $ref?: string;
}

/** What a schema node allows, in words. */
function describe(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(', ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.anyOf) return node.anyOf.map(describe).join(' or ');
  if (node.$ref) return `${withArticle(node.$ref.replace(/^.*\//, ''))} object`;
  const type = Array.isArray(node.type) ? node.type.join(' or ') : withArticle(node.type ?? 'value');
  const range = node.minimum !== undefined || node.maximum !== undefined
    ? ` ${node.minimum ?? '…'}..${node.maximum ?? '…'}` : '';
  const pattern = node.pattern !== undefined ? ` matching /${node.pattern}/` : '';
  const length = node.minLength !== undefined ? ` of at least ${node.minLength} characters` : '';
  return `${type}${range}${length}${pattern}`;
}

/** What the schema cannot say: ids unique, references resolve. */
function crossReferenceIssues(config: LbConfig): Issue[] {
  const issues: Issue[] = adminEndpointProblems('/admin', 'bindAddress', config.admin.bindAddress, 'tokenFile', config.admin.tokenFile);
  const backendIds = new Set<string>();
  config.backendServices.forEach((b, i) => {
    if (backendIds.has(b.id)) issues.push(issue(`/backendServices/${i}/id`, '', b.id, 'is not unique', 'one backend service per id'));
    backendIds.add(b.id);
    issues.push(...checkUniqueTargetIds(b.targets.map((t) => t.id), (j) => `/backendServices/${i}/targets/${j}/id`, b.id));
  });
  const listenerIds = new Set<string>();
  config.listeners.forEach((l, i) => {
    if (listenerIds.has(l.id)) issues.push(issue(`/listeners/${i}/id`, '', l.id, 'is not unique', 'one listener per id'));
    listenerIds.add(l.id);
    if (!backendIds.has(l.backendService)) {
      issues.push(issue(`/listeners/${i}/backendService`, '', l.backendService, 'is not the id of a backend service in this document',
        [...backendIds].map((id) => JSON.stringify(id)).join(', ') || '(no backend services)'));
    }
    const tlsListener = l.protocol === 'TLS' || l.protocol === 'HTTPS';
    if (!tlsListener && l.tls !== null) issues.push(issue(`/listeners/${i}/tls`, '', l.tls, `is set on a ${l.protocol} listener`, 'null'));
  });
  issues.push(...urlMapReferenceIssues(config));
  const nodeNames = new Set<string>();
  config.nodes.forEach((n, i) => {
    if (nodeNames.has(n.name)) issues.push(issue(`/nodes/${i}/name`, '', n.name, 'is not unique', 'one node per name'));
    nodeNames.add(n.name);
  });
  return issues;
}

/** URL maps: ids unique, actions carry their own settings, references resolve to HTTP backend services and maps. */
function urlMapReferenceIssues(config: LbConfig): Issue[] {
  const issues: Issue[] = [];
  const httpBackends = config.backendServices.filter((b) => b.protocol === 'HTTP').map((b) => b.id);
  const backendRef = (at: string, id: string) => {
    if (!httpBackends.includes(id)) {
      issues.push(issue(at, '', id, 'is not the id of an HTTP backend service in this document',
        httpBackends.map((b) => JSON.stringify(b)).join(', ') || '(no HTTP backend services)'));
    }
  };
  const mapIds = new Set<string>();
  (config.urlMaps ?? []).forEach((m, i) => {
    const at = `/urlMaps/${i}`;
    if (mapIds.has(m.id)) issues.push(issue(`${at}/id`, '', m.id, 'is not unique', 'one URL map per id'));
    mapIds.add(m.id);
    m.rules.forEach((r, j) => {
      const a = r.action;
      const own = a.type === 'forward' ? 'backendService' : a.type;
      const filled = [a.backendService, a.redirect, a.fixedResponse].filter((x) => x !== null).length;
      const wanted = a.type === 'forward' ? a.backendService : a.type === 'redirect' ? a.redirect : a.fixedResponse;
      if (filled !== 1 || wanted === null) {
        issues.push(issue(`${at}/rules/${j}/action`, '', a, `does not carry exactly the settings of a ${a.type} action`, `${own} set and the others null`));
      }
      if (a.type === 'forward' && a.backendService !== null) backendRef(`${at}/rules/${j}/action/backendService`, a.backendService);
      if (r.mirror !== null) backendRef(`${at}/rules/${j}/mirror`, r.mirror);
    });
  });
  config.listeners.forEach((l, i) => {
    if (l.urlMap === undefined || l.urlMap === null || mapIds.has(l.urlMap)) return;
    issues.push(issue(`/listeners/${i}/urlMap`, '', l.urlMap, 'is not the id of a URL map in this document',
      [...mapIds].map((id) => JSON.stringify(id)).join(', ') || '(no URL maps)'));
  });
  return issues;
}

/** The model's rules (lib/model), run over the parts of the document the constructs produced. */
function modelRuleIssues(config: LbConfig): Issue[] {
  const issues: Issue[] = [];
  issues.push(...checkUniquePorts(adminPortOwner(config.loadBalancer.path), config.admin.port, config.listeners));
  const backends = new Map(config.backendServices.map((b) => [b.id, b]));
  for (const l of config.listeners) {
    const protocol = l.protocol as ListenerProtocol;
    const backend = backends.get(l.backendService);
    if (backend !== undefined) issues.push(...checkProtocolPairing(l.path, protocol, backend.path, backend.protocol as BackendProtocol));
    issues.push(...checkListenerCertificates(l.path, protocol, l.tls?.defaultCertificates.length ?? 0));
    const domains: string[] = [];
    for (const s of l.tls?.sniCertificates ?? []) {
      issues.push(...checkSniDomain(l.path, s.domain, domains));
      domains.push(s.domain);
    }
  }
  for (const b of config.backendServices) {
    if (b.sessionPersistence !== null) {
      issues.push(...checkSessionPersistenceProtocol(b.path, b.protocol as BackendProtocol, b.sessionPersistence));
      issues.push(...checkCookieTimeout(b.path, b.sessionPersistence.cookieTimeoutSeconds));
    }
    if (b.healthCheck.enabled && b.healthCheck.protocol === 'HTTP') issues.push(...checkHealthCheckPath(b.path, b.healthCheck.httpPath));
    for (const t of b.targets) {
      issues.push(...checkWeight(t.source.path, t.source.kind === 'availabilityGroup' ? 'defaultWeight' : 'target.weight', t.weight));
    }
  }
  issues.push(...checkUniqueCookieNames(config.backendServices.map((b) => ({ path: b.path, cookieName: b.sessionPersistence?.cookieName ?? null }))));
  issues.push(...urlMapRuleIssues(config));
  return dedupe(issues);
}

/** The model's URL-map rules (lib/model/url-map.ts) over the document's maps and the listeners that use them. */
function urlMapRuleIssues(config: LbConfig): Issue[] {
  const issues: Issue[] = [];
  const backendPath = new Map(config.backendServices.map((b) => [b.id, b.path]));
  const mapPath = new Map((config.urlMaps ?? []).map((m) => [m.id, m.path]));
  for (const m of config.urlMaps ?? []) {
    const earlier: RuleRoute[] = [];
    for (const r of m.rules) {
      issues.push(...checkRuleRoute(m.path, r.id, r.host, r.path, earlier));
      earlier.push({ name: r.id, host: r.host, path: r.path });
      const kind = r.action.type;
      issues.push(...checkForwardOnly(m.path, r.id, kind, 'rewrite', r.rewrite ?? undefined));
      issues.push(...checkForwardOnly(m.path, r.id, kind, 'requestHeaders', r.requestHeaders ?? undefined));
      if (r.mirror !== null) {
        const mirror = backendPath.get(r.mirror) ?? r.mirror;
        issues.push(...checkForwardOnly(m.path, r.id, kind, 'mirror', mirror));
        const forward = kind === 'forward' && r.action.backendService !== null ? backendPath.get(r.action.backendService) ?? r.action.backendService : null;
        issues.push(...checkMirrorTarget(m.path, r.id, mirror, forward));
      }
      issues.push(...checkMirrorMaxBodyBytes(m.path, r.id, r.mirrorMaxBodyBytes, r.mirror !== null));
    }
  }
  for (const l of config.listeners) {
    if (l.urlMap === undefined || l.urlMap === null) continue;
    issues.push(...checkListenerUrlMap(l.path, l.protocol as ListenerProtocol, mapPath.get(l.urlMap) ?? l.urlMap));
  }
  return issues;
}
