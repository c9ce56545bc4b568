import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError, MAX_FRAME_BYTES, encodeFrame } from '../../nodes/common/codec.js';
import { Random } from '../../nodes/common/random.js';

describe('framing codec', () => {
  it('decodes the same frames however a proxy slices the stream (slicer, partial reads)', () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({ i, text: 'é'.repeat(i % 17), nested: [i, { deep: i % 3 === 0 }] }));
    const stream = Buffer.concat(messages.map(encodeFrame));
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = new Random(seed);
      const decoder = new FrameDecoder();
      const out: unknown[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = rnd.int(1, 64);
        out.push(...decoder.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(out).toEqual(messages);
    }
  });

  it('reports each frame size on the wire', () => {
    const frames = [encodeFrame({ a: 1 }), encodeFrame('xyz')];
    const sizes: number[] = [];
    new FrameDecoder().push(Buffer.concat(frames), sizes);
    expect(sizes).toEqual(frames.map((f) => f.length));
  });

  it('treats an oversized length or a non-JSON body as a broken connection (FrameError), not a crash', () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameDecoder().push(huge)).toThrow(FrameError);
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]);
    expect(() => new FrameDecoder().push(junk)).toThrow(FrameError);
  });
});
