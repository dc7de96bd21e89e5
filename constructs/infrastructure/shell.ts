/**
 * Building local-exec command lines safely: POSIX single-quote quoting for the shell that
 * runs them, and escaping of Terraform's template sequences (`${`, `%{`) so a literal value
 * is never read as an interpolation.
 */

/** Escapes Terraform template sequences in a literal string. */
export function escapeTemplate(text: string): string {
  // Function replacements: in a replacement *string* `$$` would itself mean one `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Quotes one argument for /bin/sh (and escapes it for Terraform). */
export function shellArg(text: string): string {
  const quoted = /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
  return escapeTemplate(quoted);
}

/** A whole command line from literal arguments. */
export function shellCommand(args: string[]): string {
  return args.map(shellArg).join(' ');
}
