import type { CoreContext } from '../common/core.js';
import type { Algorithm } from '../common/runtime.js';
import type { PaxosCore } from './core.js';
import { StableLeaderCore } from './leader.js';
import { LeaderlessCore } from './leaderless.js';
import type { PaxosMessage } from './messages.js';
import { paxosOptionsSchema, type PaxosOptions } from './options.js';

export function createPaxosCore(ctx: CoreContext<PaxosOptions>): PaxosCore {
  return ctx.options.mode === 'leaderless' ? new LeaderlessCore(ctx) : new StableLeaderCore(ctx);
}

export const paxos: Algorithm<PaxosMessage, typeof paxosOptionsSchema> = {
  name: 'paxos',
  optionsSchema: paxosOptionsSchema,
  create: createPaxosCore,
};
