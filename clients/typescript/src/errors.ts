// The API's error envelope as types and one error class, so that a frontend switches on
// `err.code` with the compiler checking every case against the spec's ErrorCode enum.
import type { components } from "./schema.js";

/** Every error code the API can answer with (openapi.yaml, ErrorCode), as a union. */
export type ErrorCode = components["schemas"]["ErrorCode"];
/** The `error` member of a failed response's envelope. */
export type ErrorBody = components["schemas"]["ErrorBody"];
/** One field problem of a `VALIDATION_ERROR` (or of a 409 naming the short products). */
export type ErrorDetail = components["schemas"]["ErrorDetail"];
/** The body of every failed response. */
export type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];

/**
 * A failed call, thrown by `unwrap` and by the page iterator: the HTTP status, the
 * typed code and the envelope's message, details and request id (quote it to support).
 */
export class ShopfloorError extends Error {
  readonly status: number;
  readonly code: ErrorCode | undefined;
  readonly details: ErrorDetail[];
  readonly requestId: string | undefined;

  constructor(status: number, body: ErrorBody | undefined) {
    super(body?.message ?? `HTTP ${status}`);
    this.name = "ShopfloorError";
    this.status = status;
    this.code = body?.code;
    this.details = body?.details ?? [];
    this.requestId = body?.requestId;
  }
}

/** Whether err is a ShopfloorError with this code: `if (isErrorCode(err, "EMAIL_TAKEN"))`. */
export function isErrorCode(err: unknown, code: ErrorCode): err is ShopfloorError {
  return err instanceof ShopfloorError && err.code === code;
}

/** What openapi-fetch returns for one call. */
export interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The data of a successful call, or a ShopfloorError for a failed one, for code that
 * prefers exceptions to checking `error` after every call.
 */
export function unwrap<T>(result: FetchResult<T>): T {
  if (result.response.ok) return result.data as T;
  throw new ShopfloorError(result.response.status, errorBodyOf(result.error));
}

function errorBodyOf(error: unknown): ErrorBody | undefined {
  if (typeof error === "object" && error !== null && "error" in error) {
    const body = (error as { error: unknown }).error;
    if (typeof body === "object" && body !== null && "code" in body) return body as ErrorBody;
  }
  return undefined;
}
