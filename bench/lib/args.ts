/** Command-line options of `npm run bench -- ...`. */

export interface BenchArgs {
  quick: boolean;
  profile: boolean;
  durationSec: number;
  warmupSec: number;
  /**
   * Load put on each proxy right after it starts, before its first measurement: the Node
   * proxies' JIT tiers up and their heaps grow to size in the first seconds (nginx and HAProxy
   * are unaffected). Every proxy gets the same.
   */
  startWarmupSec: number;
  repeats: number;
  workerCounts: number[];
  /** Proxy ids to run (default: all). */
  proxies: string[] | null;
  /** Scenario ids or groups to run (default: all of the mode). */
  scenarios: string[] | null;
  out: string | null;
}

const USAGE = `usage: npm run bench -- [--quick] [--profile] [--duration SEC] [--warmup SEC] [--start-warmup SEC] [--repeats N]
                       [--workers 1,2] [--proxies alb,nginx,haproxy,fastify,http-proxy]
                       [--scenarios ID,ID...] [--out FILE]`;

export function parseArgs(argv: string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const a: BenchArgs = {
    quick,
    profile: argv.includes('--profile'),
    durationSec: quick ? 3 : 5,
    warmupSec: 1,
    startWarmupSec: quick ? 0 : 5,
    repeats: quick ? 1 : 3,
    workerCounts: quick ? [1] : [1, 2],
    proxies: null,
    scenarios: null,
    out: null,
  };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag}: expected a number >= ${min}, got "${v}"\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[i + 1];
    switch (flag) {
      case '--quick': case '--profile': break;
      case '--duration': a.durationSec = num(flag, v, 1); i++; break;
      case '--warmup': a.warmupSec = num(flag, v, 0); i++; break;
      case '--start-warmup': a.startWarmupSec = num(flag, v, 0); i++; break;
      case '--repeats': a.repeats = num(flag, v, 1); i++; break;
      case '--workers': a.workerCounts = (v ?? '').split(',').map((w) => num(flag, w, 1)); i++; break;
      case '--proxies': a.proxies = (v ?? '').split(','); i++; break;
      case '--scenarios': a.scenarios = (v ?? '').split(','); i++; break;
      case '--out': a.out = v ?? null; i++; break;
      case '--help': case '-h': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  return a;
}
