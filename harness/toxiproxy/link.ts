/**
 * One proxied TCP connection: the client's socket, the upstream socket, and two links,
 * upstream (client -> server) and downstream (server -> client), each a chain of stages.
 *
 * The fast path: a link with no toxic writes each chunk straight to the other socket from
 * the 'data' handler, no timestamp, no allocation, no promise or timer; backpressure is the
 * socket's own (pause the reader until the writer drains). With toxics, chunks enter the
 * chain; bytes held inside it are counted, and the reader pauses above HELD_HIGH so a slow
 * toxic (bandwidth) pushes back on the sender instead of buffering without bound.
 *
 * Closing follows upstream: when either side ends, that end travels through the link's
 * chain (after the data before it), the destination is closed, and the other link is ended
 * too, so the whole connection closes. A reset (reset_peer) destroys both sockets with RST.
 */
import type net from 'node:net';
import { monoMs } from '../../nodes/common/clock.js';
import { createStage, type Stage, type StageEnv } from './stages.js';
import type { EndKind, Output } from './output.js';
import type { Random } from '../../nodes/common/random.js';
import type { Stream, ToxicModel } from './toxics.js';

const HELD_HIGH = 16 * 1024 * 1024;
const HELD_LOW = 4 * 1024 * 1024;

class Link implements Output, StageEnv {
  private stages: Stage[] = [];
  private head: Output = this;
  private held = 0;
  private pausedForDrain = false;
  private pausedForHeld = false;
  private inputDone = false;
  private outputDone = false;

  constructor(
    private readonly conn: Connection,
    readonly stream: Stream,
    private readonly source: net.Socket,
    readonly dest: net.Socket,
    readonly rng: Random,
  ) {
    dest.on('drain', this.onDrain);
  }

  start(toxics: readonly ToxicModel[]): void {
    for (const t of toxics) this.addToxic(t);
    this.source.on('data', this.onData);
  }

  readonly onData = (chunk: Buffer): void => {
    if (this.inputDone) return;
    const head = this.head;
    if (head === this) {
      if (!this.dest.write(chunk)) this.waitForDrain();
      return;
    }
    this.held += chunk.length;
    head.write(chunk, monoMs());
    if (this.held > HELD_HIGH && !this.pausedForHeld) {
      this.pausedForHeld = true;
      this.source.pause();
    }
  };

  /** The source ended, failed or closed, or the other link closed it. */
  inputEnded(): void {
    if (this.inputDone) return;
    this.inputDone = true;
    this.head.end('close');
  }

  // Output: the end of the chain, writing to the destination socket.
  write(data: Buffer): void {
    this.release(data.length);
    if (this.outputDone || this.dest.destroyed) return;
    if (!this.dest.write(data)) this.waitForDrain();
  }

  end(kind: EndKind): void {
    if (this.outputDone) return;
    this.outputDone = true;
    this.conn.linkEnded(this, kind);
  }

  dropped(bytes: number): void {
    this.release(bytes);
  }

  addToxic(toxic: ToxicModel): void {
    const stage = createStage(toxic, this, this);
    const last = this.stages[this.stages.length - 1];
    if (last) last.out = stage;
    else this.head = stage;
    this.stages.push(stage);
    stage.setActive(this.draw(toxic));
  }

  updateToxic(toxic: ToxicModel): void {
    this.stages.find((s) => s.toxic === toxic)?.setActive(this.draw(toxic));
  }

  removeToxic(toxic: ToxicModel): void {
    const i = this.stages.findIndex((s) => s.toxic === toxic);
    if (i < 0) return;
    const stage = this.stages[i]!;
    stage.remove();
    const prev = this.stages[i - 1];
    if (prev) prev.out = stage.out;
    else this.head = stage.out;
    this.stages.splice(i, 1);
  }

  dispose(): void {
    this.inputDone = this.outputDone = true;
    for (const s of this.stages) s.dispose();
    this.source.off('data', this.onData);
    this.dest.off('drain', this.onDrain);
  }

  private draw(toxic: ToxicModel): boolean {
    return this.rng.float() < toxic.toxicity;
  }

  private release(bytes: number): void {
    this.held -= bytes;
    if (this.pausedForHeld && this.held < HELD_LOW) {
      this.pausedForHeld = false;
      this.resumeIfClear();
    }
  }

  private waitForDrain(): void {
    if (this.pausedForDrain) return;
    this.pausedForDrain = true;
    this.source.pause();
  }

  private readonly onDrain = (): void => {
    if (!this.pausedForDrain) return;
    this.pausedForDrain = false;
    this.resumeIfClear();
  };

  private resumeIfClear(): void {
    if (!this.pausedForDrain && !this.pausedForHeld && !this.inputDone) this.source.resume();
  }
}

export interface ConnectionOwner {
  readonly rng: Random;
  toxics(stream: Stream): readonly ToxicModel[];
  connectionClosed(conn: Connection): void;
}

export class Connection {
  private up: Link | null = null;
  private down: Link | null = null;
  private finished = false;

  constructor(
    private readonly owner: ConnectionOwner,
    readonly client: net.Socket,
    readonly upstream: net.Socket,
  ) {
    const onClose = (): void => {
      if (this.client.destroyed && this.upstream.destroyed) this.finish();
    };
    // An 'error' is always followed by 'close'; the handler is there so it is not thrown.
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', onClose);
    }
    client.on('close', () => this.up?.inputEnded());
    upstream.on('close', () => this.down?.inputEnded());
    client.on('end', () => this.up?.inputEnded());
    upstream.on('end', () => this.down?.inputEnded());
    // Until both links run, either socket closing takes the other with it: a client that
    // leaves while we dial, or an upstream that refuses (the client sees a close).
    client.on('close', () => {
      if (!this.up) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!this.up) client.destroy();
    });
  }

  /** The upstream answered: toxicity is drawn for every toxic as the two links start. */
  start(): void {
    if (this.finished || this.client.destroyed) {
      this.destroy();
      return;
    }
    this.up = new Link(this, 'upstream', this.client, this.upstream, this.owner.rng);
    this.down = new Link(this, 'downstream', this.upstream, this.client, this.owner.rng);
    this.up.start(this.owner.toxics('upstream'));
    this.down.start(this.owner.toxics('downstream'));
  }

  link(stream: Stream): Link | null {
    return stream === 'upstream' ? this.up : this.down;
  }

  linkEnded(link: Link, kind: EndKind): void {
    if (kind === 'reset') {
      this.reset();
      return;
    }
    const dest = link.dest;
    if (!dest.destroyed) {
      // Flush what the chain delivered, send FIN, then close fully as Go's Close() does.
      dest.once('finish', () => dest.destroy());
      dest.end();
    }
    (link === this.up ? this.down : this.up)?.inputEnded();
  }

  /** RST both sides: upstream's reset_peer sets SO_LINGER 0 on both sockets and closes. */
  reset(): void {
    this.dispose();
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy(); // no TCP handle left to reset
      }
    }
  }

  /** The proxy was disabled or deleted: close both sockets now. */
  destroy(): void {
    this.dispose();
    this.client.destroy();
    this.upstream.destroy();
  }

  private dispose(): void {
    this.up?.dispose();
    this.down?.dispose();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.dispose();
    this.owner.connectionClosed(this);
  }
}
