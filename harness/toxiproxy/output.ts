/**
 * What a link's stages pass along: bytes, then one end signal. Its own module because
 * both the stages and the queue the delaying ones hold bytes in write into an Output.
 */
/** `close` ends the connection with FINs; `reset` ends it with RSTs (reset_peer). */
export type EndKind = 'close' | 'reset';

/** Where a stage sends what it lets through: the next stage, or the link's socket writer. */
export interface Output {
  write(data: Buffer, at: number): void;
  end(kind: EndKind): void;
}
