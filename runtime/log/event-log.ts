/**
 * The process/event log: reloads, health changes, worker restarts, errors. pino JSON lines on
 * stderr, written synchronously: these events are rare and must not be lost when the process
 * exits right after logging them.
 */
import pino from 'pino';

export type EventLog = pino.Logger;

export function createEventLog(role: 'primary' | 'worker', node: string | undefined): EventLog {
  return pino(
    {
      base: { pid: process.pid, role, ...(node ? { node } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
