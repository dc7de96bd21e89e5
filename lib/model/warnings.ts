/**
 * Stable ids of the warnings this library emits. A warning's message starts with
 * `[<id>]`; users search for the id and acknowledge it (see constructs/warnings.ts).
 * Never rename an id: acknowledgements in users' code refer to it.
 */
export const WarningIds = {
  /** A backend service has no targets at all (no server group target, no AG instance). */
  NO_TARGETS: 'cdktf-alb:no-targets',
  /** Every target of a backend service has weight 0: it cannot serve traffic. */
  ALL_WEIGHTS_ZERO: 'cdktf-alb:all-weights-zero',
  /** A backend service is neither a listener's default backend nor a target of a rule in a listener's URL map. */
  UNUSED_BACKEND_SERVICE: 'cdktf-alb:unused-backend-service',
  /** nodesPerZone is 1: losing that node loses the zone. */
  SINGLE_NODE_PER_ZONE: 'cdktf-alb:single-node-per-zone',
  /** A certificate or key file does not exist on this machine at synth time. */
  CERTIFICATE_FILE_MISSING: 'cdktf-alb:certificate-file-missing',
  /** The health-check timeout is not shorter than its interval: checks overlap. */
  HEALTH_CHECK_TIMEOUT_NOT_BELOW_INTERVAL: 'cdktf-alb:health-check-timeout',
  /** SshInfrastructure connects to some hosts without verifying their host keys (insecureSkipHostKeyVerification). */
  UNVERIFIED_HOST_KEYS: 'cdktf-alb:unverified-host-keys',
} as const;
