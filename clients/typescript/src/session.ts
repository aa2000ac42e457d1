// The tokens of one signed-in user and the one refresh that concurrent 401s share.
//
// Refresh tokens are single use: the server rotates them on every refresh and, when an
// old one is presented again, revokes the whole family (every device of the session).
// So two requests that fail at once must not each refresh with the same token: the
// second would be a reuse and sign the user out. Here the first 401 starts the refresh
// and every other one waits for that same promise.
import type { components } from "./schema.js";

/** What a session needs to persist between page loads. */
export type SessionTokens = Pick<components["schemas"]["Tokens"], "accessToken" | "refreshToken">;

/** Exchanges a refresh token for new tokens; undefined when the server refused it. */
export type Refresher = (refreshToken: string) => Promise<SessionTokens | undefined>;

export class Session {
  #tokens: SessionTokens | null;
  #refreshing: Promise<string | null> | null = null;
  readonly #refresh: Refresher;
  readonly #onTokens: ((tokens: SessionTokens | null) => void) | undefined;

  constructor(tokens: SessionTokens | null, refresh: Refresher, onTokens?: (tokens: SessionTokens | null) => void) {
    this.#tokens = tokens;
    this.#refresh = refresh;
    this.#onTokens = onTokens;
  }

  /** The tokens now in use, or null when signed out. */
  get tokens(): SessionTokens | null {
    return this.#tokens;
  }

  /** Starts (login, register), replaces or ends (null) the session, and reports it. */
  set(tokens: SessionTokens | null): void {
    this.#tokens = tokens;
    this.#onTokens?.(tokens);
  }

  /**
   * A fresh access token for a request that was refused with `used`: the token a
   * refresh that finished meanwhile brought, the result of the refresh already under
   * way, or of a new one. null when there is no session any more, or the refresh failed.
   */
  async renew(used: string): Promise<string | null> {
    const current = this.#tokens;
    if (!current) return null;
    if (current.accessToken !== used) return current.accessToken;
    this.#refreshing ??= this.#rotate(current).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #rotate(current: SessionTokens): Promise<string | null> {
    const next = await this.#refresh(current.refreshToken);
    if (this.#tokens !== current) return this.#tokens?.accessToken ?? null; // replaced meanwhile
    if (!next) {
      // Refused: the refresh token expired, was revoked or reused. Signed out.
      this.set(null);
      return null;
    }
    this.set(next);
    return next.accessToken;
  }
}
