/**
 * The one framing codec of parley's peer transport: a 4-byte big-endian length, then that
 * many bytes of UTF-8 JSON. A proxy may cut a stream at any byte (limit_data, reset_peer,
 * slicer), so the decoder accepts any chunking and a frame that cannot be decoded means the
 * connection is broken, never that the process should crash.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameError extends Error {}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /**
   * Feed one chunk; returns every complete frame, decoded, and (when `sizes` is given)
   * appends each frame's wire size to it. Throws FrameError on a corrupt stream.
   */
  push(chunk: Buffer, sizes?: number[]): unknown[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: unknown[] = [];
    if (this.pendingBytes < 4) return out;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (buf.length - offset >= 4) {
      const len = buf.readUInt32BE(offset);
      if (len > MAX_FRAME_BYTES) throw new FrameError(`frame length ${len} exceeds ${MAX_FRAME_BYTES}`);
      if (buf.length - offset - 4 < len) break;
      const text = buf.toString('utf8', offset + 4, offset + 4 + len);
      offset += 4 + len;
      sizes?.push(4 + len);
      try {
        out.push(JSON.parse(text));
      } catch {
        throw new FrameError('frame is not valid JSON');
      }
    }
    if (offset === buf.length) {
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      buf = offset === 0 ? buf : buf.subarray(offset);
      this.pending = [buf];
      this.pendingBytes = buf.length;
    }
    return out;
  }
}
