/**
 * `alb-runtime`: the load-balancer node's command line (bundled to dist/runtime/alb-runtime.js).
 *
 *   run       serve a config in the foreground (primary + node:cluster workers)
 *   start     the same as a daemon in a state directory (for the deploy targets)
 *   stop      drain and stop a daemon
 *   status    print a node's /status
 *   reload    hand a new config to a running daemon (hot reload, no dropped requests)
 *   validate  check a config document
 */
import cluster from 'cluster';
import * as os from 'os';
import { Command, Option } from 'commander';
import { exits, integer, runProgram } from '../lib/process/cli-options';
import { ConfigError, formatIssues } from './config/issues';
import { parseAccessLogTarget } from './log/access-log';
import { checkConfig, reloadDaemon, showStatus, startDaemon, stopDaemon } from './process/daemon';
import { Primary } from './process/primary';
import { nodeFiles } from '../lib/process/state-dir';
import { runWorker } from './process/worker';
import { version } from '../package.json';

const DEFAULT_DRAIN_MS = 10_000;

function buildProgram(): Command {
  const program = new Command('alb-runtime')
    .description('Load-balancer node runtime: serves one LB config document')
    .version(version)
    .showHelpAfterError();

  program.command('run')
    .description('serve a config in the foreground')
    .requiredOption('--config <file>', 'LB config document (JSON)')
    .option('--node <name>', "play this node of config.nodes: listeners and admin bind to its address")
    .option('--bind <addr>', 'bind address when no --node is given', '0.0.0.0')
    .addOption(new Option('--workers <n>', 'worker processes (0: serve inside the primary)')
      .argParser(integer('--workers', 0, 256)).default(os.availableParallelism(), 'one per core'))
    .option('--admin-port <port>', 'admin endpoint port (0: any free port); default: config.admin.port', integer('--admin-port', 0, 65535))
    .option('--access-log <file|off>', 'access log file, "off", or "stdout" (default: stdout, or DIR/NODE/access.log with --state-dir)')
    .option('--state-dir <dir>', 'write pid and admin address to DIR[/NODE]; SIGHUP applies a staged DIR[/NODE]/config.json.next')
    .option('--drain-ms <ms>', 'how long a stop waits for in-flight requests', integer('--drain-ms', 0, 3_600_000), DEFAULT_DRAIN_MS)
    .action(async (o: { config: string; node?: string; bind: string; workers: number; adminPort?: number;
      accessLog?: string; stateDir?: string; drainMs: number }) => {
      const defaultAccessLog = o.stateDir ? { file: nodeFiles(o.stateDir, o.node).accessLog } : 'stdout' as const;
      const primary = new Primary({
        configFile: o.config, node: o.node, bind: o.bind, workers: o.workers, adminPort: o.adminPort,
        accessLog: parseAccessLogTarget(o.accessLog, defaultAccessLog), stateDir: o.stateDir, drainMs: o.drainMs,
      });
      try {
        await primary.start();
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`alb-runtime: ${err.file}: invalid config, not serving:\n${formatIssues(err.issues)}\n`);
        } else {
          process.stderr.write(`alb-runtime: cannot start: ${(err as Error).message}\n`);
        }
        process.exit(1);
      }
    });

  program.command('start')
    .description('start a node as a daemon (detached; log, pid and config copy in DIR/NODE)')
    .requiredOption('--config <file>', 'LB config document (JSON); copied to DIR/NODE/config.json')
    .requiredOption('--node <name>', 'the node of config.nodes to play')
    .requiredOption('--state-dir <dir>', 'state directory')
    .option('--workers <n>', 'worker processes (default: one per core)', integer('--workers', 0, 256))
    .option('--access-log <file|off>', 'access log (default: DIR/NODE/access.log)')
    .option('--drain-ms <ms>', 'how long a stop waits for in-flight requests', integer('--drain-ms', 0, 3_600_000))
    .option('--wait-ms <ms>', 'how long to wait for the node to serve', integer('--wait-ms', 1, 600_000), 15_000)
    .action(exits((o: { config: string; node: string; stateDir: string; workers?: number; accessLog?: string;
      drainMs?: number; waitMs: number }) => startDaemon(o)));

  program.command('stop')
    .description('stop a daemon: SIGTERM (drain), SIGKILL after the timeout')
    .requiredOption('--node <name>', 'node name')
    .requiredOption('--state-dir <dir>', 'state directory')
    .option('--timeout-ms <ms>', 'wait this long before SIGKILL', integer('--timeout-ms', 0, 3_600_000), DEFAULT_DRAIN_MS + 5000)
    .action(exits((o: { node: string; stateDir: string; timeoutMs: number }) => stopDaemon(o)));

  program.command('status')
    .description("print a node's /status JSON (exit 1 if it is not running)")
    .option('--node <name>', 'node name (with --state-dir)')
    .option('--state-dir <dir>', 'state directory')
    .option('--admin <host:port>', 'admin endpoint address instead of a state dir')
    .option('--token-file <file>', "with --admin: file holding the admin endpoint's bearer token (a state dir names its own)")
    .action(exits((o: { node?: string; stateDir?: string; admin?: string; tokenFile?: string }) => showStatus(o)));

  program.command('reload')
    .description('validate a config, stage it for a running daemon and apply it (SIGHUP)')
    .requiredOption('--config <file>', 'the new LB config document')
    .requiredOption('--node <name>', 'node name')
    .requiredOption('--state-dir <dir>', 'state directory')
    .option('--timeout-ms <ms>', 'how long to wait for the result', integer('--timeout-ms', 1, 600_000), 30_000)
    .action(exits((o: { config: string; node: string; stateDir: string; timeoutMs: number }) => reloadDaemon(o)));

  program.command('validate')
    .description('check a config document (schema, references, certificate files)')
    .requiredOption('--config <file>', 'LB config document (JSON)')
    .option('--node <name>', 'also check that this node is listed')
    .action(exits((o: { config: string; node?: string }) => (checkConfig(o.config, o.node) ? 0 : 1)));

  return program;
}

if (cluster.isWorker) {
  // Forked by the primary's WorkerPool: same script, no command line to parse.
  runWorker();
} else {
  runProgram(buildProgram());
}
