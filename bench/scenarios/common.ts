/** Inputs every runtime-only scenario shares. */
import { BackendSet } from '../backends/backend-set';
import { TlsFiles } from '../lib/tls';

export interface RuntimeScenarioInput {
  backend: BackendSet;
  tls: TlsFiles;
  dir: string;
  luaHook: string;
  loadCpus: string;
  proxyCpus: (workers: number) => string;
  log: (s: string) => void;
  /** null when the runtime bundle can be run; else why not. */
  albReason: string | null;
}
