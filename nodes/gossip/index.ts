import type { Algorithm } from '../common/runtime.js';
import { GossipCore, type GossipMessage } from './core.js';
import { gossipOptionsSchema } from './options.js';

export const gossip: Algorithm<GossipMessage, typeof gossipOptionsSchema> = {
  name: 'gossip',
  optionsSchema: gossipOptionsSchema,
  create: (ctx) => new GossipCore(ctx),
};
