/** The resource model: pure TypeScript, no cdktf. The constructs call into it. */
export * from './enums';
export * from './messages';
export * from './warnings';
export * as limits from './limits';
export * from './check';
export * from './vpc';
export * from './topology';
export * from './certificate';
export * from './listener';
export * from './health-check';
export * from './backend-service';
export * from './target';
export * from './availability-group';
export * from './admin-endpoint';
export * from './load-balancer';
