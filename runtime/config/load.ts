/**
 * Reads a config file and decides whether this runtime may serve it: JSON syntax, the schema
 * version, the JSON Schema, then the semantic checks. Every issue found is reported at once so
 * a user fixes a document in one pass.
 */
import * as fs from 'fs';
import { LbConfig, LB_CONFIG_SCHEMA_VERSION } from '../../lib/config/types';
import { ConfigError, ConfigIssue } from './issues';
import { configHash } from './hash';
import { schemaIssues } from './schema';
import { nodeIssues, semanticIssues } from './semantic';

export interface LoadedConfig {
  config: LbConfig;
  /** sha256 of the file bytes (what `reload` waits for in /status). */
  hash: string;
  file: string;
  /** The file's bytes as read: workers are handed exactly these (see ../process/config-files). */
  bytes: Buffer;
}

export interface LoadOptions {
  /** The node this process plays: it must be listed in the document's nodes. */
  node?: string;
}

export function loadConfigFile(file: string, options: LoadOptions = {}): LoadedConfig {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(file, [{ path: '/', message: `cannot read config file: ${(err as Error).message}` }]);
  }
  return loadConfigBytes(bytes, file, options);
}

/** loadConfigFile for bytes already read (the primary hashes a reload's file before checking it). */
export function loadConfigBytes(bytes: Buffer, file: string, options: LoadOptions = {}): LoadedConfig {
  return { config: parseConfig(bytes.toString('utf8'), file, options), hash: configHash(bytes), file, bytes };
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): LbConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '/', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const issues = checkDocument(doc, options);
  if (issues.length) throw new ConfigError(file, issues);
  return doc as LbConfig;
}

/** All issues of a parsed document; empty when a node may serve it. */
export function checkDocument(doc: unknown, options: LoadOptions = {}): ConfigIssue[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [{ path: '/', message: 'config must be a JSON object', value: Array.isArray(doc) ? 'array' : doc,
      allowed: 'an LB config object' }];
  }
  // The version gate comes first: a document of another version may fail the schema in many
  // confusing ways, and the one useful message is that this runtime does not speak it.
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (version !== LB_CONFIG_SCHEMA_VERSION) {
    return [{
      path: '/schemaVersion',
      message: version === undefined
        ? `schemaVersion missing; this runtime understands schemaVersion ${LB_CONFIG_SCHEMA_VERSION}`
        : `unsupported schemaVersion ${JSON.stringify(version)}; this runtime understands schemaVersion ${LB_CONFIG_SCHEMA_VERSION}`,
      value: version ?? null,
      allowed: String(LB_CONFIG_SCHEMA_VERSION),
    }];
  }
  const schema = schemaIssues(doc);
  if (schema.length) return schema;
  const config = doc as LbConfig;
  const issues = semanticIssues(config);
  if (options.node !== undefined) issues.push(...nodeIssues(config, options.node));
  return issues;
}
