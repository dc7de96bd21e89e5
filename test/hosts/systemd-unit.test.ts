/**
 * The systemd units the SSH host agent writes on hosts that boot with systemd (the fleet's
 * namespaces have none, so the text is what can be checked here): restart on failure, the LB
 * node stopped through its primary with a drain timeout and reloaded by SIGHUP, every word
 * quoted the way systemd reads it.
 */
import { systemdQuote, systemdUnit, unitName } from '../../hosts/ssh/systemd-unit';

const node = {
  description: 'cdktf-alb LB node web-az-1-r1-0',
  command: ['/usr/bin/node', '/opt/cdktf-alb/bin/alb-runtime-0123.js', 'run', '--config', '/opt/cdktf-alb/state/web-az-1-r1-0/config.json', '--node', 'web-az-1-r1-0'],
  workingDirectory: '/opt/cdktf-alb/state/web-az-1-r1-0',
  environment: {},
  stopTimeoutSec: 15,
  lbNode: true,
  logFile: '/opt/cdktf-alb/state/web-az-1-r1-0/runtime.log',
};

test('an LB node unit: restarted on failure, SIGTERM to the primary only, SIGHUP reloads, drain timeout', () => {
  const text = systemdUnit(node);
  const lines = text.split('\n');
  expect(lines).toContain('Restart=on-failure');
  expect(lines).toContain('KillMode=mixed');
  expect(lines).toContain('ExecReload=/bin/kill -HUP $MAINPID');
  expect(lines).toContain('TimeoutStopSec=15');
  expect(lines).toContain('ExecStart="/usr/bin/node" "/opt/cdktf-alb/bin/alb-runtime-0123.js" "run" "--config" "/opt/cdktf-alb/state/web-az-1-r1-0/config.json" "--node" "web-az-1-r1-0"');
  expect(lines).toContain('StandardOutput=append:/opt/cdktf-alb/state/web-az-1-r1-0/runtime.log');
  expect(lines).toContain('WantedBy=multi-user.target');
  expect(unitName('web-az-1-r1-0')).toBe('cdktf-alb-web-az-1-r1-0.service');
});

test('a VM unit: its environment, the whole cgroup stopped, no reload', () => {
  const text = systemdUnit({ ...node, lbNode: false, environment: { PORT: '8081', HOST: '10.0.0.5', GREETING: 'say "hi" for 100%' } });
  expect(text).toContain('KillMode=control-group');
  expect(text).not.toContain('ExecReload');
  const env = text.split('\n').filter((l) => l.startsWith('Environment='));
  expect(env).toEqual(['Environment="GREETING=say \\"hi\\" for 100%%"', 'Environment="HOST=10.0.0.5"', 'Environment="PORT=8081"']);
});

test('quoting: specifiers, variables, quotes and backslashes are literal for systemd', () => {
  expect(systemdQuote('a b')).toBe('"a b"');
  expect(systemdQuote('$HOME')).toBe('"$$HOME"');
  expect(systemdQuote('%h')).toBe('"%%h"');
  expect(systemdQuote('a\\b"c')).toBe('"a\\\\b\\"c"');
  expect(systemdQuote('two\nlines')).toBe('"two\\nlines"');
});
