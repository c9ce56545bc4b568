/**
 * The one framing codec of parley's peer transport: a 4-byte big-endian length, then that
 * many bytes of UTF-8 JSON. A proxy may cut a stream at any byte (limit_data, reset_peer,
 * slicer), so the decoder accepts any chunking and a frame that cannot be decoded means the
 * connection is broken, never that the process should crash.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameError extends Error {}

export function encodeFrame(message: unknown): Buffer {
  const text = JSON.stringify(message);
  // One buffer, written in place: the body is not built first and copied after the header.
  const length = Buffer.byteLength(text, 'utf8');
  if (length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(text, 4, 'utf8');
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
    // The common case, one whole frame in one chunk with nothing pending, without the general path's bookkeeping.
    if (this.pendingBytes === 0 && chunk.length >= 4) {
      const len = chunk.readUInt32BE(0);
      if (len + 4 === chunk.length && len <= MAX_FRAME_BYTES) {
        let message: unknown;
        try {
          message = JSON.parse(chunk.toString('utf8', 4));
        } catch {
          throw new FrameError('frame is not valid JSON');
        }
        sizes?.push(chunk.length);
        return [message];
      }
    }
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
