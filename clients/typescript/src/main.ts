// A frontend's view of Shopfloor: the types come from openapi.yaml (openapi-typescript)
// and every call goes through openapi-fetch, so a drift between the spec and this code
// is a compile error. It registers, logs in, browses the catalog and places an order
// against a live server (SHOPFLOOR_URL), and exits non-zero if anything is off.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Product = components["schemas"]["Product"];
type ErrorCode = components["schemas"]["ErrorCode"];

const baseUrl = process.env.SHOPFLOOR_URL ?? "http://localhost:8080";
const client = createClient<paths>({ baseUrl });

let accessToken = "";
const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
};
client.use(auth);

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function main(): Promise<void> {
  const email = `ts-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "Typed-Client-1";

  const reg = await client.POST("/api/v1/auth/register", {
    body: { email, password, name: "TypeScript Client" },
  });
  check(reg.response.status === 201 && reg.data, `register: ${reg.response.status}`);
  check(reg.data.data.user.role === "customer", "new accounts are customers");

  const again = await client.POST("/api/v1/auth/register", {
    body: { email: email.toUpperCase(), password, name: "TypeScript Client" },
  });
  const taken: ErrorCode | undefined = again.error?.error.code;
  check(again.response.status === 409 && taken === "EMAIL_TAKEN", `duplicate email: ${again.response.status} ${taken}`);

  const login = await client.POST("/api/v1/auth/login", { body: { email, password } });
  check(login.data, `login: ${login.response.status}`);
  accessToken = login.data.data.tokens.accessToken;

  const me = await client.GET("/api/v1/auth/me");
  check(me.data?.data.email === email, "me returns the caller");

  const list = await client.GET("/api/v1/products", {
    params: { query: { inStock: true, sort: "name", limit: 5 } },
  });
  check(list.data, `list products: ${list.response.status}`);
  const first: Product | undefined = list.data.data[0];
  check(first, "the catalog has a product in stock");
  check(list.data.pagination.total >= 1, "pagination counts it");
  check(typeof list.data.pagination.totalExact === "boolean", "pagination says whether the total is exact");
  const nextCursor: string | undefined = list.data.pagination.nextCursor;
  if (nextCursor) {
    const more = await client.GET("/api/v1/products", {
      params: { query: { inStock: true, sort: "name", limit: 5, cursor: nextCursor } },
    });
    check(more.data?.pagination.page === 2, `the cursor opens page 2: ${more.response.status}`);
    check(!more.data.data.some((p) => p.id === first.id), "the next page continues after the first");
  }

  const one = await client.GET("/api/v1/products/{id}", { params: { path: { id: first.id } } });
  check(one.data?.data.id === first.id, "get product by id");
  const etag = one.response.headers.get("ETag");
  check(etag, "products carry an ETag");

  const key = `ts-order-${Date.now()}`;
  const order = await client.POST("/api/v1/orders", {
    params: { header: { "Idempotency-Key": key } },
    body: { items: [{ productId: first.id, quantity: 1 }], note: "from the TypeScript client" },
  });
  check(order.response.status === 201 && order.data, `place order: ${order.response.status} ${JSON.stringify(order.error)}`);
  check(order.data.data.totalCents === first.priceCents, "the total comes from the catalog price");

  const retry = await client.POST("/api/v1/orders", {
    params: { header: { "Idempotency-Key": key } },
    body: { items: [{ productId: first.id, quantity: 1 }], note: "from the TypeScript client" },
  });
  check(retry.data?.data.id === order.data.data.id, "a retry with the same key returns the same order");

  const mine = await client.GET("/api/v1/orders", { params: { query: { limit: 10 } } });
  check(mine.data?.data.some((o) => o.id === order.data.data.id), "the order is in my list");

  console.log(JSON.stringify({ ok: true, email, product: first.sku, order: order.data.data.id }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
