/**
 * Reads a config file and decides whether this runtime may serve it: JSON syntax, then the
 * shared validator (lib/config/validate.ts: schema version, JSON Schema, references and the
 * model's rules, as at synth), then what only this node can check (./semantic.ts). Every
 * issue found is reported at once so a user fixes a document in one pass.
 */
import * as fs from 'fs';
import { LbConfig } from '../../lib/config/types';
import { validateLbConfig } from '../../lib/config/validate';
import { issue, Issue, MISSING } from '../../lib/model/messages';
import { ConfigError } from './issues';
import { sha256Hex as configHash } from '../../lib/config/hash';
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
    throw new ConfigError(file, [issue(file, '', MISSING, `cannot read config file: ${(err as Error).message}`, 'a readable LB config file')]);
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
    throw new ConfigError(file, [issue(file, '', MISSING, `is not valid JSON: ${(err as Error).message}`, 'an LB config document as synth writes it')]);
  }
  const issues = checkDocument(doc, options);
  if (issues.length) throw new ConfigError(file, issues);
  return doc as LbConfig;
}

/** All issues of a parsed document; empty when a node may serve it. */
export function checkDocument(doc: unknown, options: LoadOptions = {}): Issue[] {
  const shared = validateLbConfig(doc);
  if (shared.length) return shared;
  const config = doc as LbConfig;
  const issues = semanticIssues(config);
  if (options.node !== undefined) issues.push(...nodeIssues(config, options.node));
  return issues;
}
