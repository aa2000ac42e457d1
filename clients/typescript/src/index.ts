// @shopfloor/client: the Shopfloor API's types, generated from openapi.yaml by
// openapi-typescript, and a client factory on openapi-fetch that attaches the access
// token, refreshes it once for concurrent 401s, adds an Idempotency-Key to order
// creation and walks any list page by page.
export { createShopfloorClient, type ShopfloorClient, type ShopfloorClientOptions } from "./client.js";
export { Session, type SessionTokens } from "./session.js";
export {
  ShopfloorError,
  isErrorCode,
  unwrap,
  type ErrorBody,
  type ErrorCode,
  type ErrorDetail,
  type ErrorEnvelope,
  type FetchResult,
} from "./errors.js";
export type { ListPage, ListPath, ListQuery } from "./pages.js";
export type { components, operations, paths } from "./schema.js";
