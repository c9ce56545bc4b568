/**
 * The workloads a scenario can name, loaded lazily as nodes/registry.ts loads algorithms.
 * It lives apart from workload.ts so that the interface every workload implements does not
 * import the workloads that implement it (no import cycle).
 */
import type { WorkloadSpec } from './spec.js';
import type { Workload } from './workload.js';

export async function workloadByName(name: WorkloadSpec['type']): Promise<Workload> {
  switch (name) {
    case 'kv':
      return (await import('./kv.js')).kv;
    case 'bank':
      return (await import('./bank.js')).bank;
    case 'dissemination':
      return (await import('./dissemination.js')).dissemination;
    case 'list-append':
      return (await import('./list-append.js')).listAppend;
  }
}
