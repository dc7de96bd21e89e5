/**
 * The cloud-init user data of an AwsInfrastructure VM: a shell script (cloud-init runs a
 * user-data script starting with `#!` once, as root, at first boot) that installs what the VM
 * runs from S3 and hands it to systemd.
 *
 *  - LB node: the runtime bundle and its LB's config document come from S3 objects;
 *    `alb-node.service` runs `alb-runtime run --node <vm>` (listeners bind to the VM's
 *    private address). `alb-sync.timer` runs `alb-sync` every syncIntervalSeconds: it compares
 *    the config object's ETag with the one it applied and, on a change, validates the new
 *    document and hot-reloads the running node (`alb-runtime reload`: same pid, no dropped
 *    request); a refused document is logged and the running config keeps serving. A changed
 *    runtime bundle restarts the node (each node at its own timer tick).
 *  - AG VM: the program files (a zip) are unpacked into /opt/alb/program, and
 *    `alb-program.service` runs the machine template's command there with HOST, PORT,
 *    VM_NAME, VM_ZONE, VM_RACK and the template's env.
 *
 * The script's text depends only on names (bucket, keys, VM) and the machine template: never
 * on a hash. It runs at first boot only, so a change of it replaces the instance; config
 * changes travel through S3 instead, so they reach running nodes without replacing them.
 *
 * Three environment variables let the same script run outside EC2 (the tests do): ALB_ROOT
 * (prefix of every path it writes), ALB_S3_ENDPOINT (an S3 API stand-in, passed to the AWS
 * CLI as --endpoint-url) and ALB_SYSTEMD=0 (start the processes as daemons instead of
 * systemd units; `alb-sync` then plays the timer when called).
 */
import { escapeTemplate, shellArg } from '../shell';

/** What one VM's script needs. */
export interface UserDataParams {
  readonly role: 'lb-node' | 'ag-vm';
  readonly vm: string;
  readonly zone: string;
  readonly rack: string;
  readonly address: string;
  readonly region: string;
  /** The bucket (may be a Terraform reference; it is interpolated, not quoted). */
  readonly bucket: string;
  readonly syncIntervalSeconds: number;
  /** LB node: object keys of the runtime bundle and of its LB's config. */
  readonly runtimeKey?: string;
  readonly configKey?: string;
  /** AG VM: object key of the program zip (none: no program files). */
  readonly programKey?: string;
  /** AG VM: the program, its arguments, port and extra environment. */
  readonly command?: string;
  readonly args?: string[];
  readonly port?: number;
  readonly env?: { [key: string]: string };
}

/** POSIX single-quoting without Terraform escaping (the whole script is escaped once). */
function q(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The user data script. Terraform template sequences in it are escaped, except the bucket. */
export function userDataScript(p: UserDataParams): string {
  const vars: [string, string][] = [
    ['ALB_ROLE', p.role], ['ALB_VM', p.vm], ['ALB_ZONE', p.zone], ['ALB_RACK', p.rack], ['ALB_ADDRESS', p.address],
    ['ALB_REGION', p.region], ['ALB_SYNC_SECONDS', String(p.syncIntervalSeconds)],
    ['ALB_RUNTIME_KEY', p.runtimeKey ?? ''], ['ALB_CONFIG_KEY', p.configKey ?? ''], ['ALB_PROGRAM_KEY', p.programKey ?? ''],
  ];
  const program = p.role === 'ag-vm'
    ? [p.command ?? '', ...(p.args ?? [])].map(q).join(' ')
    : '';
  const env: [string, string][] = p.role === 'ag-vm'
    ? [['HOST', p.address], ['PORT', String(p.port)], ['VM_NAME', p.vm], ['VM_ZONE', p.zone], ['VM_RACK', p.rack],
      ...Object.keys(p.env ?? {}).sort().map((k): [string, string] => [k, (p.env as { [k: string]: string })[k]])]
    : [];
  const header = [
    '#!/bin/bash',
    '# cdktf-alb AwsInfrastructure VM init (constructs/infrastructure/aws/user-data.ts)',
    'set -euo pipefail',
    ...vars.map(([k, v]) => `${k}=${q(v)}`),
    `ALB_PROGRAM=${q(program)}`,
    `ALB_PROGRAM_ENV=${q(env.map(([k, v]) => `${k}=${q(v)}`).join('\n'))}`,
  ].join('\n');
  // The bucket goes in unescaped: it may be a reference such as ${aws_s3_bucket.x.bucket}.
  return `${escapeTemplate(header)}\nALB_BUCKET=${p.bucket.includes('${') ? `"${p.bucket}"` : shellArg(p.bucket)}\n${escapeTemplate(BODY)}`;
}

const BODY = String.raw`
ROOT="${'$'}{ALB_ROOT:-}"
SYSTEMD="${'$'}{ALB_SYSTEMD:-1}"
mkdir -p "$ROOT/etc/alb" "$ROOT/opt/alb/bin" "$ROOT/opt/alb/runtime" "$ROOT/opt/alb/config" "$ROOT/opt/alb/program" "$ROOT/var/lib/alb"
log() { echo "alb-init: $*" >&2; }

# Node.js >= 20 and the AWS CLI (Amazon Linux 2023 has the CLI; Debian/Ubuntu get both from apt).
if ! command -v node >/dev/null; then
  if command -v dnf >/dev/null; then
    dnf -y install nodejs20 || dnf -y install nodejs
    [ -x /usr/bin/node-20 ] && ln -sf /usr/bin/node-20 /usr/local/bin/node
  elif command -v apt-get >/dev/null; then
    apt-get update && apt-get -y install nodejs
  fi
fi
if ! command -v aws >/dev/null && command -v apt-get >/dev/null; then apt-get -y install awscli; fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { log "Node.js >= 20 is needed, found $(node --version 2>&1)"; exit 1; }

{
  for v in ALB_ROLE ALB_VM ALB_ZONE ALB_RACK ALB_ADDRESS ALB_REGION ALB_BUCKET ALB_RUNTIME_KEY ALB_CONFIG_KEY ALB_PROGRAM_KEY ALB_SYNC_SECONDS ALB_S3_ENDPOINT ALB_SYSTEMD; do
    printf '%s=%q\n' "$v" "${'$'}{!v:-}"
  done
} > "$ROOT/etc/alb/node.env"

cat > "$ROOT/opt/alb/bin/alb-s3" <<'ALB_EOF'
#!/bin/bash
# alb-s3 etag KEY | get KEY FILE: the VM's S3 object access (instance profile credentials).
set -euo pipefail
. "${'$'}{ALB_ROOT:-}/etc/alb/node.env"
s3() { aws ${'$'}{ALB_S3_ENDPOINT:+--endpoint-url "$ALB_S3_ENDPOINT"} --region "$ALB_REGION" s3api "$@"; }
case "$1" in
  etag) s3 head-object --bucket "$ALB_BUCKET" --key "$2" --query ETag --output text ;;
  get) s3 get-object --bucket "$ALB_BUCKET" --key "$2" "$3" >/dev/null ;;
esac
ALB_EOF

cat > "$ROOT/opt/alb/bin/alb-sync" <<'ALB_EOF'
#!/bin/bash
# alb-sync: brings this LB node to the S3 objects (alb-sync.timer runs it). A changed config
# is validated and hot-reloaded (same pid); a refused one is logged once and the running
# config keeps serving. A changed runtime bundle restarts the node.
set -uo pipefail
ROOT="${'$'}{ALB_ROOT:-}"
. "$ROOT/etc/alb/node.env"
S3="$ROOT/opt/alb/bin/alb-s3"
RUNTIME="$ROOT/opt/alb/runtime/alb-runtime.js"
CONFIG="$ROOT/opt/alb/config/config.json"
STATE="$ROOT/var/lib/alb"
PIDFILE="$STATE/$ALB_VM/runtime.pid"
log() { echo "alb-sync: $*" >&2; }
running() { kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; }
start() {
  if [ "${'$'}{ALB_SYSTEMD:-1}" = 0 ]; then
    node "$RUNTIME" start --config "$CONFIG" --node "$ALB_VM" --state-dir "$STATE"
  else
    systemctl start alb-node.service
  fi
}
restart() {
  if [ "${'$'}{ALB_SYSTEMD:-1}" = 0 ]; then
    node "$RUNTIME" stop --node "$ALB_VM" --state-dir "$STATE"; start
  else
    systemctl restart alb-node.service
  fi
}

runtime_etag=$("$S3" etag "$ALB_RUNTIME_KEY") || { log "cannot read s3://$ALB_BUCKET/$ALB_RUNTIME_KEY"; exit 1; }
new_runtime=0
if [ "$runtime_etag" != "$(cat "$STATE/runtime.etag" 2>/dev/null)" ]; then
  "$S3" get "$ALB_RUNTIME_KEY" "$RUNTIME.new" && mv "$RUNTIME.new" "$RUNTIME" || { log "cannot fetch the runtime bundle"; exit 1; }
  echo "$runtime_etag" > "$STATE/runtime.etag"
  new_runtime=1
fi

config_etag=$("$S3" etag "$ALB_CONFIG_KEY") || { log "cannot read s3://$ALB_BUCKET/$ALB_CONFIG_KEY"; exit 1; }
if [ "$config_etag" != "$(cat "$STATE/config.etag" 2>/dev/null)" ] && [ "$config_etag" != "$(cat "$STATE/refused.etag" 2>/dev/null)" ]; then
  "$S3" get "$ALB_CONFIG_KEY" "$CONFIG.next" || { log "cannot fetch the config"; exit 1; }
  if ! node "$RUNTIME" validate --config "$CONFIG.next" --node "$ALB_VM"; then
    log "config $config_etag refused; the running config keeps serving"
    echo "$config_etag" > "$STATE/refused.etag"
    exit 1
  fi
  if running && [ "$new_runtime" = 0 ]; then
    if ! node "$RUNTIME" reload --config "$CONFIG.next" --node "$ALB_VM" --state-dir "$STATE"; then
      log "reload of config $config_etag refused; the running config keeps serving"
      echo "$config_etag" > "$STATE/refused.etag"
      exit 1
    fi
    log "config $config_etag applied (hot reload)"
  fi
  mv "$CONFIG.next" "$CONFIG"
  echo "$config_etag" > "$STATE/config.etag"
fi

if ! running; then
  start
elif [ "$new_runtime" = 1 ]; then
  log "new runtime bundle $runtime_etag: restarting"
  restart
fi
ALB_EOF

cat > "$ROOT/opt/alb/bin/alb-program" <<ALB_EOF
#!/bin/bash
# alb-program: the availability group's program, in its working directory, with its environment.
set -a
. "\$ALB_ROOT/etc/alb/program.env"
set +a
cd "\$ALB_ROOT/opt/alb/program"
exec $ALB_PROGRAM
ALB_EOF
printf '%s\n' "$ALB_PROGRAM_ENV" > "$ROOT/etc/alb/program.env"
chmod 0755 "$ROOT/opt/alb/bin/"*

if [ "$ALB_ROLE" = lb-node ]; then
  cat > "$ROOT/etc/systemd-alb-node.service" <<ALB_EOF
[Unit]
Description=cdktf-alb load-balancer node $ALB_VM
After=network-online.target
Wants=network-online.target
[Service]
ExecStart=/usr/bin/env node /opt/alb/runtime/alb-runtime.js run --config /opt/alb/config/config.json --node $ALB_VM --state-dir /var/lib/alb
Restart=always
RestartSec=2
LimitNOFILE=1048576
[Install]
WantedBy=multi-user.target
ALB_EOF
  cat > "$ROOT/etc/systemd-alb-sync.service" <<'ALB_EOF'
[Unit]
Description=cdktf-alb: apply changed S3 objects to this node
[Service]
Type=oneshot
ExecStart=/opt/alb/bin/alb-sync
ALB_EOF
  cat > "$ROOT/etc/systemd-alb-sync.timer" <<ALB_EOF
[Unit]
Description=cdktf-alb: check the config object every $ALB_SYNC_SECONDS s
[Timer]
OnBootSec=$ALB_SYNC_SECONDS
OnUnitInactiveSec=$ALB_SYNC_SECONDS
AccuracySec=1
[Install]
WantedBy=timers.target
ALB_EOF
  # First sync: fetch the bundle and config, then start the node (as a unit or a daemon).
  if [ "$SYSTEMD" = 0 ]; then
    "$ROOT/opt/alb/bin/alb-sync"
  else
    mv "$ROOT/etc/systemd-alb-node.service" /etc/systemd/system/alb-node.service
    mv "$ROOT/etc/systemd-alb-sync.service" /etc/systemd/system/alb-sync.service
    mv "$ROOT/etc/systemd-alb-sync.timer" /etc/systemd/system/alb-sync.timer
    systemctl daemon-reload
    systemctl enable alb-node.service
    # A fresh instance profile can take a while to reach the VM: the timer retries.
    /opt/alb/bin/alb-sync || log "first sync failed; alb-sync.timer retries every $ALB_SYNC_SECONDS s"
    systemctl enable --now alb-sync.timer
  fi
else
  if [ -n "$ALB_PROGRAM_KEY" ]; then
    # Retried: a fresh instance profile can take a while to reach the VM.
    for attempt in $(seq 1 60); do
      "$ROOT/opt/alb/bin/alb-s3" get "$ALB_PROGRAM_KEY" "$ROOT/opt/alb/program.zip" && break
      [ "$attempt" = 60 ] && { log "cannot fetch s3://$ALB_BUCKET/$ALB_PROGRAM_KEY"; exit 1; }
      sleep 5
    done
    python3 -m zipfile -e "$ROOT/opt/alb/program.zip" "$ROOT/opt/alb/program/" || unzip -o "$ROOT/opt/alb/program.zip" -d "$ROOT/opt/alb/program"
  fi
  if [ "$SYSTEMD" = 0 ]; then
    ALB_ROOT="$ROOT" setsid "$ROOT/opt/alb/bin/alb-program" >> "$ROOT/var/lib/alb/program.log" 2>&1 < /dev/null &
    echo $! > "$ROOT/var/lib/alb/program.pid"
  else
    cat > /etc/systemd/system/alb-program.service <<ALB_EOF
[Unit]
Description=cdktf-alb availability-group program $ALB_VM
After=network-online.target
Wants=network-online.target
[Service]
Environment=ALB_ROOT=
ExecStart=/opt/alb/bin/alb-program
Restart=always
RestartSec=2
[Install]
WantedBy=multi-user.target
ALB_EOF
    systemctl daemon-reload
    systemctl enable --now alb-program.service
  fi
fi
log "VM $ALB_VM ($ALB_ROLE, $ALB_ZONE/$ALB_RACK) is set up"
`;
