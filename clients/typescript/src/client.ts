// The client factory: openapi-fetch over the generated types, with what every frontend
// would otherwise write by hand around it.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";
import { unwrap, type FetchResult } from "./errors.js";
import type { ListPage, ListPath, ListQuery } from "./pages.js";
import { Session, type SessionTokens } from "./session.js";

type AuthResult = components["schemas"]["AuthResult"];
type RegisterRequest = components["schemas"]["RegisterRequest"];
type LoginRequest = components["schemas"]["LoginRequest"];

export interface ShopfloorClientOptions {
  /** Where the API is, e.g. `https://shop.example.com` (the paths carry `/api/v1`). */
  baseUrl: string;
  /** A session to resume, e.g. the tokens `onTokens` stored on the last page load. */
  tokens?: SessionTokens | null;
  /**
   * Called with the new tokens whenever they change (login, register, every refresh,
   * which rotates the refresh token) and with null when the session ends (logout, or
   * a refresh the server refused): store them here.
   */
  onTokens?: (tokens: SessionTokens | null) => void;
  /**
   * Makes the Idempotency-Key that order creation (`POST /api/v1/orders`) gets when
   * the call sets none, so that a retried request cannot place an order twice.
   * Defaults to a random UUID; false sends none.
   */
  idempotencyKey?: (() => string) | false;
  /** The fetch to send requests with (defaults to globalThis.fetch). */
  fetch?: (input: Request) => Promise<Response>;
}

export type ShopfloorClient = Client<paths> & {
  /** The signed-in user's tokens. */
  readonly session: Session;
  /** Logs in and starts the session; throws ShopfloorError (401 `UNAUTHENTICATED`…). */
  login(body: LoginRequest): Promise<AuthResult>;
  /** Registers an account and starts its session; throws ShopfloorError (409 `EMAIL_TAKEN`…). */
  register(body: RegisterRequest): Promise<AuthResult>;
  /** Revokes the refresh token on the server and ends the session. */
  logout(): Promise<void>;
  /**
   * Every page of a list, from the first, following `pagination.nextCursor` with the
   * same filters, sort and limit; throws ShopfloorError when a page fails. `break`
   * stops it.
   */
  pages<P extends ListPath>(path: P, query?: ListQuery<P>): AsyncGenerator<ListPage<P>, void, undefined>;
};

// The operations that take no access token: their 401 means wrong credentials or a
// bad refresh token, never a token to refresh.
const withoutToken = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"];

/**
 * Makes a client for one user's session. Every call carries the session's access
 * token; a call refused with 401 refreshes the tokens once (concurrent 401s share that
 * one refresh, since a refresh token can be used only once) and is sent again with
 * the new token. When the refresh is refused too, the session ends and the 401 is the
 * answer.
 */
export function createShopfloorClient(options: ShopfloorClientOptions): ShopfloorClient {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const newKey = options.idempotencyKey === undefined ? () => globalThis.crypto.randomUUID() : options.idempotencyKey;
  // The auth operations themselves go out without the session's handling.
  const plain = createClient<paths>({ baseUrl: options.baseUrl, fetch: send });
  const session = new Session(
    options.tokens ?? null,
    async (refreshToken) => {
      const res = await plain.POST("/api/v1/auth/refresh", { body: { refreshToken } });
      if (res.data) return tokensOf(res.data.data);
      if (res.response.status === 401) return undefined;
      throw new Error(`refreshing the access token failed: HTTP ${res.response.status}`);
    },
    options.onTokens,
  );

  async function authorized(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (newKey && request.method === "POST" && path.endsWith("/api/v1/orders") && !request.headers.has("Idempotency-Key")) {
      request.headers.set("Idempotency-Key", newKey());
    }
    const used = session.tokens?.accessToken;
    if (!used || request.headers.has("Authorization") || withoutToken.some((p) => path.endsWith(p))) {
      return send(request);
    }
    request.headers.set("Authorization", `Bearer ${used}`);
    const again = request.clone(); // the body can be read once; the retry needs its own
    const response = await send(request);
    if (response.status !== 401) return response;
    const fresh = await session.renew(used);
    if (!fresh) return response;
    await response.body?.cancel();
    again.headers.set("Authorization", `Bearer ${fresh}`);
    return send(again);
  }

  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: authorized });
  // One signature for every list, so that pages() can call any of them.
  const getList = client.GET as unknown as (
    path: string,
    init: { params: { query: object } },
  ) => Promise<FetchResult<{ pagination: { nextCursor?: string } }>>;

  return Object.assign(client, {
    session,
    async login(body: LoginRequest): Promise<AuthResult> {
      const result = unwrap(await plain.POST("/api/v1/auth/login", { body })).data;
      session.set(tokensOf(result.tokens));
      return result;
    },
    async register(body: RegisterRequest): Promise<AuthResult> {
      const result = unwrap(await plain.POST("/api/v1/auth/register", { body })).data;
      session.set(tokensOf(result.tokens));
      return result;
    },
    async logout(): Promise<void> {
      const tokens = session.tokens;
      session.set(null);
      if (tokens) unwrap(await plain.POST("/api/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } }));
    },
    async *pages<P extends ListPath>(path: P, query?: ListQuery<P>): AsyncGenerator<ListPage<P>, void, undefined> {
      let cursor: string | undefined;
      for (;;) {
        const params = { query: cursor === undefined ? { ...query } : { ...query, cursor } };
        const page = unwrap(await getList(path, { params }));
        yield page as ListPage<P>;
        cursor = page.pagination.nextCursor;
        if (cursor === undefined) return;
      }
    },
  });
}

function tokensOf(t: components["schemas"]["Tokens"]): SessionTokens {
  return { accessToken: t.accessToken, refreshToken: t.refreshToken };
}
