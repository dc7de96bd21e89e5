/**
 * Command-line conventions shared by every CLI of the project (the runtime's `alb-runtime`,
 * the local target's `local-vm`, the SSH target's `alb-host`), all built on commander:
 * option parsers with messages that say what is allowed, and one way to end — exit 2 on a
 * usage error (with the usage), 1 on a failure (its message), the command's own code else.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';

/** A usage error found after parsing (a combination of options commander cannot express). */
export class UsageError extends Error {}

/** Parser for an integer option within [min, max]. */
export function integer(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Parser for a repeatable option: collects every value in order. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Parses argv and runs the chosen command: 2 on a usage error (commander's or a UsageError),
 * 1 on any other error. A command that serves (alb-runtime run) keeps the process; a command
 * that finishes ends it through `exits`.
 */
export function runProgram(program: Command, argv: string[] = process.argv): void {
  const name = program.name();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  program.parseAsync(argv).catch((err: unknown) => {
    if (err instanceof CommanderError) {
      // commander already printed its message (or the help / version asked for).
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exit(1);
  });
}

/** An action that finishes: the process exits with the code it resolves to. */
export function exits<A extends unknown[]>(action: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exit(await action(...args));
  };
}
