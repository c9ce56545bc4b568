/**
 * Request decoding with the semantics of Go's encoding/json, which is what upstream
 * Toxiproxy's handlers use: object keys match struct fields case-insensitively (an exact
 * match wins), `null` leaves a field at its default, unknown keys are ignored, and a value
 * of the wrong JSON type, or a fractional number for an integer field, is an error that
 * upstream reports as `400 bad request body: ...`.
 */

/** An API failure with the status and message upstream would send: `{"error", "status"}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type JsonObject = Record<string, unknown>;

export const badRequest = (detail: string): ApiError => new ApiError(400, `bad request body: ${detail}`);

/** Parse a request body; an empty one is Go's `EOF`. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw badRequest('EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(err instanceof Error ? err.message : String(err));
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decode into a struct: `null` decodes to nothing, anything else must be an object. */
export function asObject(value: unknown, what: string): JsonObject {
  if (value === null) return {};
  if (!isObject(value)) throw badRequest(`expected a JSON object for ${what}`);
  return value;
}

/** The value for `key`, found the way encoding/json finds it; `null` reads as absent. */
export function field(obj: JsonObject, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key] ?? undefined;
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k] ?? undefined;
  return undefined;
}

export function optString(obj: JsonObject, key: string): string | undefined {
  const v = field(obj, key);
  if (v === undefined || typeof v === 'string') return v;
  throw badRequest(`${key}: expected a string, got ${describe(v)}`);
}

export function optBoolean(obj: JsonObject, key: string): boolean | undefined {
  const v = field(obj, key);
  if (v === undefined || typeof v === 'boolean') return v;
  throw badRequest(`${key}: expected true or false, got ${describe(v)}`);
}

export function optNumber(obj: JsonObject, key: string): number | undefined {
  const v = field(obj, key);
  if (v === undefined || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw badRequest(`${key}: expected a number, got ${describe(v)}`);
}

// Go's int64: a JSON number that is not an integer in range fails to unmarshal.
const INT64_LIMIT = 2 ** 63;

export function optInteger(obj: JsonObject, key: string): number | undefined {
  const v = optNumber(obj, key);
  if (v === undefined) return v;
  if (!Number.isInteger(v) || v >= INT64_LIMIT || v < -INT64_LIMIT) {
    throw badRequest(`${key}: expected an integer, got ${v}`);
  }
  return v;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}
