/**
 * The Node flags the primary gives its worker processes (runtime/process/primary.ts):
 * the primary's own flags plus a young-generation cap and no V8 memory reducer, each unless
 * the user set that setting.
 */
import { workerExecArgv } from '../../runtime/process/primary';

test('workers get the primary flags plus --max-semi-space-size and --no-memory-reducer', () => {
  expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', '--max-semi-space-size=8', '--no-memory-reducer']);
  expect(workerExecArgv([], '')).toEqual(['--max-semi-space-size=8', '--no-memory-reducer']);
});

test('a memory-reducer setting the user chose is left alone', () => {
  expect(workerExecArgv(['--memory-reducer'], undefined)).toEqual(['--memory-reducer', '--max-semi-space-size=8']);
  expect(workerExecArgv(['--no-memory-reducer'], undefined)).toEqual(['--no-memory-reducer', '--max-semi-space-size=8']);
});

test('a --max-semi-space-size the user chose (command line or NODE_OPTIONS) is left alone', () => {
  expect(workerExecArgv(['--max-semi-space-size=32'], undefined)).toEqual(['--max-semi-space-size=32', '--no-memory-reducer']);
  expect(workerExecArgv(['--cpu-prof'], '--max_semi_space_size=4 --trace-warnings')).toEqual(['--cpu-prof', '--no-memory-reducer']);
  // Other heap flags do not count as a choice of the young generation.
  expect(workerExecArgv(['--max-old-space-size=512'], undefined)).toEqual(['--max-old-space-size=512', '--max-semi-space-size=8', '--no-memory-reducer']);
});
