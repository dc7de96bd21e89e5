/**
 * Warnings with stable ids, and how users acknowledge them.
 *
 * Every warning this library emits is a cdktf warning annotation whose message starts with
 * `[cdktf-alb:<id>]` (ids: lib/model/warnings.ts). To silence one deliberately:
 *
 *  - in code: `Warnings.acknowledge(scope, 'cdktf-alb:no-targets')` silences that id on
 *    `scope` and everything below it (acknowledge on the stack for all of it);
 *  - in cdktf.json: `"context": { "cdktf-alb:acknowledgedWarnings": ["cdktf-alb:no-targets"] }`
 *    silences it for the whole app.
 *
 * Warnings are emitted during validation (synth), so acknowledgements made anywhere in the
 * app — before or after the construct was created — count.
 */
import { Annotations } from 'cdktf';
import { IConstruct } from 'constructs';
import { ModelWarning } from '../lib/model/messages';

const ACKNOWLEDGED = Symbol.for('cdktf-alb.acknowledgedWarnings');
const EMITTED = Symbol.for('cdktf-alb.emittedWarnings');

/** The context key (e.g. in cdktf.json) listing warning ids acknowledged for the whole app. */
export const ACKNOWLEDGED_WARNINGS_CONTEXT_KEY = 'cdktf-alb:acknowledgedWarnings';

/** Acknowledge cdktf-alb warnings by id. */
export class Warnings {
  /**
   * Silences the warnings with these ids (e.g. `cdktf-alb:no-targets`) on `scope` and every
   * construct below it.
   */
  public static acknowledge(scope: IConstruct, ...ids: string[]): void {
    const holder = scope as unknown as { [ACKNOWLEDGED]?: Set<string> };
    const set = holder[ACKNOWLEDGED] ?? new Set<string>();
    ids.forEach((id) => set.add(id));
    Object.defineProperty(holder, ACKNOWLEDGED, { value: set, enumerable: false, configurable: true });
  }

  /** Whether a warning id is acknowledged on this construct (or above it, or in context). */
  public static isAcknowledged(scope: IConstruct, id: string): boolean {
    const fromContext = scope.node.tryGetContext(ACKNOWLEDGED_WARNINGS_CONTEXT_KEY);
    if (Array.isArray(fromContext) && fromContext.includes(id)) return true;
    return scope.node.scopes.some((s) => (s as unknown as { [ACKNOWLEDGED]?: Set<string> })[ACKNOWLEDGED]?.has(id) === true);
  }

  private constructor() {}
}

/**
 * Emits a model warning on a construct as `[<id>] <message>`, once per construct and
 * message (validation may run more than once), unless acknowledged.
 */
export function emitWarning(scope: IConstruct, warning: ModelWarning): void {
  if (Warnings.isAcknowledged(scope, warning.id)) return;
  const holder = scope as unknown as { [EMITTED]?: Set<string> };
  if (!holder[EMITTED]) Object.defineProperty(holder, EMITTED, { value: new Set<string>(), enumerable: false });
  const text = `[${warning.id}] ${warning.message} (acknowledge: Warnings.acknowledge(scope, '${warning.id}'))`;
  if (holder[EMITTED]!.has(text)) return;
  holder[EMITTED]!.add(text);
  Annotations.of(scope).addWarning(text);
}

/** Emits warnings computed at validation time, so late acknowledgements are honoured. */
export function addDeferredWarnings(scope: IConstruct, warnings: () => ModelWarning[]): void {
  scope.node.addValidation({
    validate: () => {
      warnings().forEach((w) => emitWarning(scope, w));
      return [];
    },
  });
}
