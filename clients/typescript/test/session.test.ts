// The package's behaviour against a live server (the Go test in session_test.go starts
// it and passes SHOPFLOOR_URL, a user's SHOPFLOOR_EMAIL and SHOPFLOOR_PASSWORD, an
// access token of that user that has already expired, SHOPFLOOR_EXPIRED_TOKEN, and
// SHOPFLOOR_PRODUCTS, the ids of five products in stock). Every 401 here is the
// server's own answer to an expired token.
import assert from "node:assert/strict";
import test from "node:test";
import { createShopfloorClient, ShopfloorError, type SessionTokens } from "@shopfloor/client";

function env(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run this through clients/typescript/session_test.go`);
  return v;
}
const baseUrl = env("SHOPFLOOR_URL");
const email = env("SHOPFLOOR_EMAIL");
const password = env("SHOPFLOOR_PASSWORD");
const expired = env("SHOPFLOOR_EXPIRED_TOKEN");
const products = env("SHOPFLOOR_PRODUCTS").split(",");

/** A client whose every request is recorded: path, method and headers as sent. */
function recorded(tokens: SessionTokens | null = null) {
  const sent: { path: string; method: string; headers: Headers }[] = [];
  const stored: (SessionTokens | null)[] = [];
  const shop = createShopfloorClient({
    baseUrl,
    tokens,
    onTokens: (t) => stored.push(t),
    fetch: (request) => {
      sent.push({ path: new URL(request.url).pathname, method: request.method, headers: new Headers(request.headers) });
      return fetch(request);
    },
  });
  const count = (path: string) => sent.filter((s) => s.path === path).length;
  return { shop, sent, stored, count };
}

test("concurrent 401s share one refresh, and every request is retried once with the new token", async () => {
  const { shop, sent, stored, count } = recorded();
  await shop.login({ email, password });
  const before = shop.session.tokens;
  assert.ok(before);
  // The session's access token expires: every request below is refused once.
  shop.session.set({ accessToken: expired, refreshToken: before.refreshToken });
  stored.length = 0;
  const [me, ...rest] = await Promise.all([
    shop.GET("/api/v1/auth/me"),
    shop.GET("/api/v1/auth/me"),
    shop.GET("/api/v1/orders", { params: { query: { limit: 1 } } }),
    shop.POST("/api/v1/orders", { body: { items: [{ productId: products[0]!, quantity: 1 }] } }),
    shop.GET("/api/v1/auth/me"),
  ]);
  assert.equal(me.response.status, 200);
  assert.equal(me.data?.data.email, email);
  assert.deepEqual(rest.map((r) => r.response.status), [200, 200, 201, 200]);
  assert.equal(count("/api/v1/auth/refresh"), 1, "concurrent 401s refreshed more than once");
  assert.equal(count("/api/v1/auth/me"), 6, "each request is sent twice: refused, then retried");

  const after = shop.session.tokens;
  assert.ok(after);
  assert.notEqual(after.refreshToken, before.refreshToken, "the refresh token rotated");
  assert.notEqual(after.accessToken, expired);
  assert.deepEqual(stored, [after], "the new tokens were handed over for storing once");

  // The order was sent twice (401, then the retry) with one key: placed once.
  const orders = sent.filter((s) => s.path === "/api/v1/orders" && s.method === "POST");
  assert.equal(orders.length, 2);
  const key = orders[0]!.headers.get("Idempotency-Key");
  assert.match(key ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(orders[1]!.headers.get("Idempotency-Key"), key, "the retry carries the first attempt's key");
  assert.equal(orders[1]!.headers.get("Authorization"), `Bearer ${after.accessToken}`);
  await shop.logout();
});

test("a refresh the server refuses ends the session once, and the callers get the 401", async () => {
  const { shop, stored, count } = recorded();
  await shop.login({ email, password });
  const tokens = shop.session.tokens;
  assert.ok(tokens);
  // Elsewhere the session is logged out: its refresh token is revoked.
  await createShopfloorClient({ baseUrl, tokens }).logout();
  shop.session.set({ accessToken: expired, refreshToken: tokens.refreshToken });
  stored.length = 0;
  const answers = await Promise.all([1, 2, 3].map(() => shop.GET("/api/v1/auth/me")));
  assert.deepEqual(answers.map((a) => a.response.status), [401, 401, 401]);
  assert.deepEqual(answers.map((a) => a.error?.error.code), ["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"]);
  assert.equal(count("/api/v1/auth/refresh"), 1, "a refused refresh was tried again");
  assert.equal(shop.session.tokens, null);
  assert.deepEqual(stored, [null], "the end of the session was reported once");
});

test("without a session no token is sent and a 401 is not retried", async () => {
  const { shop, count } = recorded();
  const me = await shop.GET("/api/v1/auth/me");
  assert.equal(me.response.status, 401);
  assert.equal(count("/api/v1/auth/me"), 1);
  assert.equal(count("/api/v1/auth/refresh"), 0);
});

test("wrong credentials are a typed error, not a refresh", async () => {
  const { shop, count } = recorded();
  await assert.rejects(shop.login({ email, password: "Wrong-Password-1" }), (err: unknown) => {
    assert.ok(err instanceof ShopfloorError);
    assert.equal(err.status, 401);
    assert.equal(err.code, "UNAUTHENTICATED");
    assert.ok(err.requestId);
    return true;
  });
  assert.equal(count("/api/v1/auth/refresh"), 0);
});

test("each order creation gets its own Idempotency-Key unless the call names one", async () => {
  const { shop, sent } = recorded();
  await shop.login({ email, password });
  const body = { items: [{ productId: products[1]!, quantity: 1 }] };
  const a = await shop.POST("/api/v1/orders", { body });
  const b = await shop.POST("/api/v1/orders", { body });
  const named = await shop.POST("/api/v1/orders", { params: { header: { "Idempotency-Key": "mine-1" } }, body });
  assert.deepEqual([a.response.status, b.response.status, named.response.status], [201, 201, 201]);
  assert.notEqual(a.data?.data.id, b.data?.data.id, "two orders were meant");
  const keys = sent.filter((s) => s.method === "POST" && s.path === "/api/v1/orders").map((s) => s.headers.get("Idempotency-Key"));
  assert.equal(keys.length, 3);
  assert.ok(keys[0] && keys[1] && keys[0] !== keys[1]);
  assert.equal(keys[2], "mine-1");

  const off = createShopfloorClient({ baseUrl, idempotencyKey: false, tokens: shop.session.tokens });
  let header: string | null = "unset";
  off.use({
    onRequest({ request }) {
      header = request.headers.get("Idempotency-Key");
      return request;
    },
  });
  assert.equal((await off.POST("/api/v1/orders", { body })).response.status, 201);
  assert.equal(header, null, "idempotencyKey: false still sent a key");
  await shop.logout();
});

test("pages walks a whole list by cursor, in order, each row once", async () => {
  const shop = createShopfloorClient({ baseUrl });
  const ids: string[] = [];
  const numbers: number[] = [];
  for await (const page of shop.pages("/api/v1/products", { sort: "name", limit: 2 })) {
    numbers.push(page.pagination.page);
    ids.push(...page.data.map((p) => p.id));
  }
  const all = await shop.GET("/api/v1/products", { params: { query: { sort: "name", limit: 100 } } });
  assert.deepEqual(ids, all.data?.data.map((p) => p.id));
  assert.ok(ids.length >= products.length);
  assert.deepEqual(numbers, Array.from({ length: Math.ceil(ids.length / 2) }, (_, i) => i + 1));
});

test("pages throws the typed error of a page that fails", async () => {
  const shop = createShopfloorClient({ baseUrl });
  await assert.rejects(
    async () => {
      for await (const page of shop.pages("/api/v1/orders", { limit: 2 })) assert.fail(`a page came: ${JSON.stringify(page)}`);
    },
    (err: unknown) => err instanceof ShopfloorError && err.status === 401 && err.code === "UNAUTHENTICATED",
  );
});

test("my orders with their lines, page by page", async () => {
  const shop = createShopfloorClient({ baseUrl });
  await shop.login({ email, password });
  const placed = await shop.POST("/api/v1/orders", {
    body: { items: products.slice(2).map((productId) => ({ productId, quantity: 2 })) },
  });
  assert.equal(placed.response.status, 201);
  const first = await shop.pages("/api/v1/orders", { limit: 3, include: "items" }).next();
  assert.ok(!first.done);
  const listed = first.value.data[0];
  assert.ok(listed);
  assert.equal(listed.id, placed.data?.data.id, "my newest order comes first");
  assert.equal(listed.itemCount, products.length - 2);
  assert.deepEqual(listed.items, placed.data?.data.items);
  await shop.logout();
});
