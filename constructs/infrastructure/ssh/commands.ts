/**
 * The shell lines SshInfrastructure's remote-exec provisioners run on a host. Every literal is
 * quoted for /bin/sh and escaped for Terraform's templates (shell.ts); every failure names the
 * host and says what to do, so a failed deploy reads as "which host, why".
 */
import { shellArg, shellCommand } from '../shell';

/** What a command needs to know about its host. */
export interface HostContext {
  readonly host: string;
  readonly address: string;
  readonly installDir: string;
  readonly nodeCommand: string;
}

export const MIN_NODE_MAJOR = 20;

/**
 * Checks Node.js before anything runs with it: present and at least MIN_NODE_MAJOR. Sets
 * NODE for the lines after it.
 */
export function nodeCheck(h: HostContext): string {
  const who = `cdktf-alb: host ${h.host} (${h.address})`;
  const node = shellArg(h.nodeCommand);
  return [
    `NODE=${node}`,
    `if ! command -v "$NODE" >/dev/null 2>&1; then echo ${shellArg(`${who}: Node.js not found: "${h.nodeCommand}" is not on PATH nor an executable file; install Node.js >= ${MIN_NODE_MAJOR} or set nodeCommand`)} >&2; exit 1; fi`,
    `V=$("$NODE" -p process.versions.node 2>/dev/null) || { echo ${shellArg(`${who}: "${h.nodeCommand}" does not run as Node.js`)} >&2; exit 1; }`,
    `if [ "$\${V%%.*}" -lt ${MIN_NODE_MAJOR} ] 2>/dev/null; then echo ${shellArg(`${who}: Node.js`)} "$V" ${shellArg(`is too old; install Node.js >= ${MIN_NODE_MAJOR} or set nodeCommand`)} >&2; exit 1; fi`,
  ].join('\n');
}

/** The directories every upload goes into. */
export function layoutDirs(installDir: string): string[] {
  return ['bin', 'incoming', 'state'].map((d) => `${installDir}/${d}`);
}

/** Host preflight at create: Node.js, then the install dir's layout. */
export function preflight(h: HostContext): string[] {
  return [nodeCheck(h), shellCommand(['mkdir', '-p', ...layoutDirs(h.installDir)]), `echo ${shellArg(`cdktf-alb: host ${h.host} ready`)} "(Node.js $V)"`];
}

/** An agent command line (`"$NODE" <agent> --supervisor S ...`), after nodeCheck. */
export function agentCommand(agent: string, supervisor: string, args: string[]): string {
  return `"$NODE" ${shellCommand([agent, '--supervisor', supervisor, ...args])}`;
}

/**
 * Host teardown at destroy: whatever is still recorded is stopped by the newest agent on the
 * host, then every file under installDir goes. Without Node.js or an agent (nothing was ever
 * started then), the files go anyway.
 */
export function uninstall(h: HostContext): string {
  const dir = shellArg(h.installDir);
  return [
    `NODE=${shellArg(h.nodeCommand)}`,
    `A=$(ls -t ${dir}/bin/alb-host-*.js 2>/dev/null | head -n 1)`,
    `if [ -n "$A" ] && command -v "$NODE" >/dev/null 2>&1; then "$NODE" "$A" uninstall --install-dir ${dir}; fi`,
    `if [ -d ${dir} ]; then find ${dir} -mindepth 1 -maxdepth 1 -exec rm -rf {} +; rmdir ${dir} 2>/dev/null || true; fi`,
    `echo ${shellArg(`cdktf-alb: host ${h.host}: ${h.installDir} removed`)}`,
  ].join('\n');
}

/**
 * Runs an agent command with the agent at `agent`, or, if a later deploy replaced it, with the
 * newest agent on the host (destroy commands are fixed at create time).
 */
export function withAgent(h: HostContext, agent: string, supervisor: string, args: string[]): string {
  return [
    `NODE=${shellArg(h.nodeCommand)}`,
    `A=${shellArg(agent)}`,
    `[ -f "$A" ] || A=$(ls -t ${shellArg(h.installDir)}/bin/alb-host-*.js 2>/dev/null | head -n 1)`,
    // No agent on the host: nothing was ever started there by this infrastructure.
    `if [ -z "$A" ]; then echo ${shellArg(`cdktf-alb: host ${h.host}: no agent installed; nothing to stop`)}; exit 0; fi`,
    `"$NODE" "$A" ${shellCommand(['--supervisor', supervisor, ...args])}`,
  ].join('\n');
}
