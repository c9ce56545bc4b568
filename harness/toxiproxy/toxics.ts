/**
 * The toxics upstream Toxiproxy 2.12 registers, their attributes, and how a toxic is
 * created and updated from API JSON. The data-path behaviour of each type is in stages.ts.
 *
 * Validation beyond upstream: a `bandwidth` rate <= 0 hangs upstream's pipe in a busy loop,
 * and a `slicer` with a non-positive average_size, a negative size_variation or a variation
 * above the average panics or recurses forever; parley answers those with 400 instead.
 */
import { ApiError, asObject, badRequest, field, optInteger, optNumber, optString, type JsonObject } from './decode.js';

export const TOXIC_TYPES = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'noop'] as const;
export type ToxicType = (typeof TOXIC_TYPES)[number];
export type Stream = 'upstream' | 'downstream';

/** Integer attributes (ms, KB/s, bytes or µs, per type); every one the type has is present. */
export type Attributes = Readonly<Record<string, number>>;

const ATTRIBUTE_NAMES: Record<ToxicType, readonly string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['average_size', 'size_variation', 'delay'],
  limit_data: ['bytes'],
  noop: [],
};

/**
 * One toxic of a proxy. Stages on live links hold a reference to it, so an update is seen
 * by every link the moment the collection tells them to reconfigure.
 */
export interface ToxicModel {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: Stream;
  toxicity: number;
  attributes: Attributes;
}

/** The JSON upstream writes for a toxic (field order as Go marshals ToxicWrapper). */
export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
}

export function toxicJson(t: ToxicModel): ToxicJson {
  return { attributes: { ...t.attributes }, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}

function isToxicType(s: string): s is ToxicType {
  return (TOXIC_TYPES as readonly string[]).includes(s);
}

function parseStream(s: string): Stream {
  const lower = s.toLowerCase();
  if (lower === 'upstream' || lower === 'downstream') return lower;
  throw new ApiError(400, 'stream was invalid, can be either upstream or downstream');
}

/** Merge `raw` (the request's `attributes`) over `base`, as decoding into an existing struct does. */
function mergeAttributes(type: ToxicType, base: Attributes, raw: unknown): Attributes {
  const out: Record<string, number> = { ...base };
  if (raw === undefined) return out;
  const obj = asObject(raw, 'attributes');
  for (const key of ATTRIBUTE_NAMES[type]) {
    const v = optInteger(obj, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function validateAttributes(type: ToxicType, a: Attributes): void {
  if (type === 'bandwidth' && a.rate! <= 0) {
    throw badRequest(`bandwidth rate must be positive (KB/s), got ${a.rate}`);
  }
  if (type === 'slicer') {
    if (a.average_size! <= 0) throw badRequest(`slicer average_size must be positive, got ${a.average_size}`);
    if (a.size_variation! < 0) throw badRequest(`slicer size_variation must not be negative, got ${a.size_variation}`);
    if (a.size_variation! > a.average_size!) {
      throw badRequest(`slicer size_variation (${a.size_variation}) must not exceed average_size (${a.average_size})`);
    }
  }
}

/**
 * A new toxic from a create request, checked in upstream's order: body, stream, type, then
 * (by the caller, who knows the other names) uniqueness, then attributes.
 */
export function parseNewToxic(body: JsonObject): { toxic: ToxicModel; attributesRaw: unknown } {
  const streamName = optString(body, 'stream') ?? 'downstream';
  const toxicity = optNumber(body, 'toxicity') ?? 1;
  const typeName = optString(body, 'type') ?? '';
  const givenName = optString(body, 'name');
  const stream = parseStream(streamName);
  const name = givenName || `${typeName}_${stream}`;
  if (!isToxicType(typeName)) throw new ApiError(400, 'invalid toxic type');
  const zero = Object.fromEntries(ATTRIBUTE_NAMES[typeName].map((k) => [k, 0]));
  return { toxic: { name, type: typeName, stream, toxicity, attributes: zero }, attributesRaw: field(body, 'attributes') };
}

/** Fill and validate the attributes of a toxic parsed by parseNewToxic. */
export function completeNewToxic(parsed: { toxic: ToxicModel; attributesRaw: unknown }): ToxicModel {
  const attributes = mergeAttributes(parsed.toxic.type, parsed.toxic.attributes, parsed.attributesRaw);
  validateAttributes(parsed.toxic.type, attributes);
  return { ...parsed.toxic, attributes };
}

/** What an update request changes: attributes merged into the current ones, and toxicity. */
export function parseToxicUpdate(current: ToxicModel, body: JsonObject): { toxicity: number; attributes: Attributes } {
  const attributes = mergeAttributes(current.type, current.attributes, field(body, 'attributes'));
  const toxicity = optNumber(body, 'toxicity') ?? current.toxicity;
  validateAttributes(current.type, attributes);
  return { toxicity, attributes };
}
