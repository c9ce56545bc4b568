/**
 * What runs as the nodes changes for the run loop (harness/systems.ts picks one per
 * scenario; harness/etcd/system.ts is one of them). Apart from systems.ts so that a system
 * it loads lazily can name this type without importing the module that loads it.
 */
import type { ClientDialect } from '../workloads/client.js';
import type { SystemFacts } from '../contracts/results.js';
import type { Cluster, NodeSystem } from './cluster.js';
import type { FaultPlane, FaultPlaneOptions } from './faults/plane.js';
import type { SaturationRequest } from './saturate.js';

export interface SystemSetup {
  /** Nodes that are not parley's; absent: `parley node`. */
  nodes?: NodeSystem;
  /** How clients speak to the nodes; absent: the node contract. */
  dialect?: ClientDialect;
  plane: Pick<FaultPlaneOptions, 'streams'>;
  /** Create the link proxies and route the cluster's peers through them. */
  wire(plane: FaultPlane, cluster: Cluster): Promise<void>;
  /** After start: wait for the leader, if there is one to wait for. */
  settle(cluster: Cluster, note: (line: string) => void): Promise<void>;
  saturation?: SaturationRequest;
  /** For results.json (absent for parley's own nodes). */
  facts?: SystemFacts;
  /** Undo what setting up needed beyond processes (nothing yet; called even after a failure). */
  dispose(): Promise<void>;
}
