import type { Algorithm } from '../common/runtime.js';
import { PaxosCore } from './core.js';
import type { PaxosMessage } from './messages.js';
import { paxosOptionsSchema } from './options.js';

export const paxos: Algorithm<PaxosMessage, typeof paxosOptionsSchema> = {
  name: 'paxos',
  optionsSchema: paxosOptionsSchema,
  create: (ctx) => new PaxosCore(ctx),
};
