/**
 * Validates an LB config document against lib/config/schema.json (generated from types.ts)
 * plus the cross-references a schema cannot express. The runtime calls this before it
 * serves or reloads a document, so a bad document is refused with readable reasons instead
 * of crashing a node. Excluded from the jsii build (it imports ajv).
 */
import Ajv, { ErrorObject } from 'ajv';
import schema from './schema.json';
import { adminEndpointProblems } from '../model/admin-endpoint';
import { LB_CONFIG_SCHEMA_VERSION, LbConfig } from './types';
import { normalisedRuleKey, parseHostPattern, parsePathPattern } from '../routing/patterns';

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/**
 * Returns every problem of the document as a readable line (`<JSON pointer>: <problem>`);
 * an empty list means the document is valid and may be cast to LbConfig.
 */
export function validateLbConfig(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [`/: the LB config must be a JSON object, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`];
  }
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (version !== LB_CONFIG_SCHEMA_VERSION) {
    // Checked before the schema: a newer document would otherwise drown in unrelated errors.
    return [`/schemaVersion: ${JSON.stringify(version)} is not understood by this runtime; it understands schemaVersion ${LB_CONFIG_SCHEMA_VERSION} ` +
      '(re-synthesize with the cdktf-alb version that matches this runtime)'];
  }
  const validate = validator();
  if (!validate(doc)) {
    return dedupe((validate.errors ?? []).map((e) => formatAjvError(e, doc)));
  }
  return crossReferenceErrors(doc as LbConfig);
}

/** Throws an Error listing every problem; returns the typed document otherwise. */
export function assertValidLbConfig(doc: unknown, source = 'LB config'): LbConfig {
  const errors = validateLbConfig(doc);
  if (errors.length > 0) {
    throw new Error(`${source} is invalid:\n  ${errors.join('\n  ')}`);
  }
  return doc as LbConfig;
}

function formatAjvError(e: ErrorObject, doc: unknown): string {
  const where = e.instancePath || '/';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `${where}: missing property "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${where}: ${JSON.stringify(valueAt(doc, e.instancePath))} is not one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${JSON.stringify(valueAt(doc, e.instancePath))} ${e.message ?? 'is invalid'}`;
  }
}

function valueAt(doc: unknown, pointer: string): unknown {
  let value: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** What the schema cannot say: ids unique, references resolve, ports unique per address. */
function crossReferenceErrors(config: LbConfig): string[] {
  const errors: string[] = adminEndpointProblems('/admin', 'bindAddress', config.admin.bindAddress, 'tokenFile', config.admin.tokenFile);
  const backendIds = new Set<string>();
  config.backendServices.forEach((b, i) => {
    if (backendIds.has(b.id)) errors.push(`/backendServices/${i}/id: "${b.id}" is not unique`);
    backendIds.add(b.id);
    const targetIds = new Set<string>();
    b.targets.forEach((t, j) => {
      if (targetIds.has(t.id)) errors.push(`/backendServices/${i}/targets/${j}/id: "${t.id}" is not unique in backend service "${b.id}"`);
      targetIds.add(t.id);
    });
  });
  const listenerIds = new Set<string>();
  const ports = new Map<number, string>([[config.admin.port, 'admin']]);
  config.listeners.forEach((l, i) => {
    if (listenerIds.has(l.id)) errors.push(`/listeners/${i}/id: "${l.id}" is not unique`);
    listenerIds.add(l.id);
    if (!backendIds.has(l.backendService)) {
      errors.push(`/listeners/${i}/backendService: "${l.backendService}" is not the id of a backend service in this document`);
    }
    const portOwner = ports.get(l.port);
    if (portOwner !== undefined && l.port !== 0) errors.push(`/listeners/${i}/port: ${l.port} is already used by ${portOwner === 'admin' ? 'the admin endpoint' : `listener "${portOwner}"`}`);
    ports.set(l.port, l.id);
    const tlsListener = l.protocol === 'TLS' || l.protocol === 'HTTPS';
    if (tlsListener && (l.tls === null || l.tls.defaultCertificates.length === 0)) {
      errors.push(`/listeners/${i}/tls: a ${l.protocol} listener needs at least one default certificate`);
    }
    if (!tlsListener && l.tls !== null) errors.push(`/listeners/${i}/tls: must be null on a ${l.protocol} listener`);
  });
  errors.push(...urlMapErrors(config));
  const nodeNames = new Set<string>();
  config.nodes.forEach((n, i) => {
    if (nodeNames.has(n.name)) errors.push(`/nodes/${i}/name: "${n.name}" is not unique`);
    nodeNames.add(n.name);
  });
  return errors;
}

/** URL maps: ids resolve to HTTP backends, patterns parse, one rule per host+path, HTTP/HTTPS listeners only. */
function urlMapErrors(config: LbConfig): string[] {
  const errors: string[] = [];
  const httpBackends = new Set(config.backendServices.filter((b) => b.protocol === 'HTTP').map((b) => b.id));
  const backendRef = (at: string, id: string) => {
    if (!httpBackends.has(id)) errors.push(`${at}: "${id}" is not the id of an HTTP backend service in this document`);
  };
  const mapIds = new Set<string>();
  (config.urlMaps ?? []).forEach((m, i) => {
    const at = `/urlMaps/${i}`;
    if (mapIds.has(m.id)) errors.push(`${at}/id: "${m.id}" is not unique`);
    mapIds.add(m.id);
    const ruleIds = new Set<string>();
    const keys = new Map<string, string>();
    m.rules.forEach((r, j) => {
      const ra = `${at}/rules/${j}`;
      if (ruleIds.has(r.id)) errors.push(`${ra}/id: "${r.id}" is not unique in URL map "${m.id}"`);
      ruleIds.add(r.id);
      const host = parseHostPattern(r.host);
      const path = parsePathPattern(r.path);
      if (typeof host === 'string') errors.push(`${ra}/host: ${JSON.stringify(r.host)} ${host}`);
      if (typeof path === 'string') errors.push(`${ra}/path: ${JSON.stringify(r.path)} ${path}`);
      if (typeof host !== 'string' && typeof path !== 'string') {
        const key = normalisedRuleKey(host, path);
        const twin = keys.get(key);
        if (twin !== undefined) errors.push(`${ra}: host and path are those of rule "${twin}"`);
        keys.set(key, r.id);
      }
      const a = r.action;
      const filled = [a.backendService, a.redirect, a.fixedResponse].filter((x) => x !== null).length;
      const wanted = a.type === 'forward' ? a.backendService : a.type === 'redirect' ? a.redirect : a.fixedResponse;
      if (filled !== 1 || wanted === null) errors.push(`${ra}/action: a ${a.type} action needs exactly its own settings (${a.type === 'forward' ? 'backendService' : a.type}) and the others null`);
      if (a.type === 'forward' && a.backendService !== null) backendRef(`${ra}/action/backendService`, a.backendService);
      if (r.mirror !== null) {
        backendRef(`${ra}/mirror`, r.mirror);
        if (a.type !== 'forward' || r.mirror === a.backendService) errors.push(`${ra}/mirror: needs a forward rule and a backend other than its target`);
      }
      if (a.type !== 'forward' && (r.rewrite !== null || r.requestHeaders !== null)) {
        errors.push(`${ra}: rewrite and requestHeaders need a forward action`);
      }
    });
  });
  config.listeners.forEach((l, i) => {
    if (l.urlMap === undefined || l.urlMap === null) return;
    if (!mapIds.has(l.urlMap)) errors.push(`/listeners/${i}/urlMap: "${l.urlMap}" is not the id of a URL map in this document`);
    if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') errors.push(`/listeners/${i}/urlMap: a ${l.protocol} listener cannot have a URL map`);
  });
  const cookies = new Map<string, string>();
  config.backendServices.forEach((b, i) => {
    const name = b.sessionPersistence?.cookieName;
    if (name === undefined) return;
    const owner = cookies.get(name);
    if (owner !== undefined) errors.push(`/backendServices/${i}/sessionPersistence/cookieName: "${name}" is also the cookie of backend service "${owner}"`);
    else cookies.set(name, b.id);
  });
  return errors;
}

function dedupe(messages: string[]): string[] {
  return [...new Set(messages)];
}
