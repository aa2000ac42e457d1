// A frontend's view of Shopfloor, through the @shopfloor/client package: it registers,
// logs in, browses the catalog page by page, places an order and lists "my orders"
// with what each one bought, then logs out, against SHOPFLOOR_URL, and exits non-zero
// if anything is off. Everything is typed from openapi.yaml, so a drift between the
// spec and this code is a compile error.
//
// It runs against the real server and against the mock that `make mock` serves from
// the spec's examples, so it checks what holds for both: the shapes, and that answers
// agree with each other (the order placed is the order listed), not the test data.
import { createShopfloorClient, isErrorCode, unwrap, type components, type ErrorCode } from "@shopfloor/client";

type Product = components["schemas"]["Product"];

const baseUrl = process.env.SHOPFLOOR_URL ?? "http://localhost:8080";
let stored: unknown = null; // where a browser app would keep the tokens (onTokens)
const shop = createShopfloorClient({ baseUrl, onTokens: (tokens) => (stored = tokens) });

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function main(): Promise<void> {
  const email = `ts-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "Typed-Client-1";

  const registered = await shop.register({ email, password, name: "TypeScript Client" });
  check(registered.user.role === "customer", "new accounts are customers");
  check(stored !== null, "the session's tokens were handed over for storing");

  // The same email again is 409 EMAIL_TAKEN. `Prefer: code=409` tells a Prism mock
  // which documented answer to play; the real server ignores it.
  const again = await shop.POST("/api/v1/auth/register", {
    body: { email: email.toUpperCase(), password, name: "TypeScript Client" },
    headers: { Prefer: "code=409" },
  });
  const taken: ErrorCode | undefined = again.error?.error.code;
  check(again.response.status === 409 && taken === "EMAIL_TAKEN", `duplicate email: ${again.response.status} ${taken}`);
  try {
    unwrap(again);
    check(false, "unwrap returns the data of a failed call");
  } catch (err) {
    check(isErrorCode(err, "EMAIL_TAKEN"), `unwrap throws the typed error: ${String(err)}`);
  }

  const login = await shop.login({ email, password });
  const me = unwrap(await shop.GET("/api/v1/auth/me")).data;
  check(me.id === login.user.id, "me returns the caller: the access token is attached");

  const list = unwrap(await shop.GET("/api/v1/products", { params: { query: { inStock: true, sort: "name", limit: 5 } } }));
  const first: Product | undefined = list.data[0];
  check(first, "the catalog has a product in stock");
  check(list.pagination.total >= 1, "pagination counts it");
  check(typeof list.pagination.totalExact === "boolean", "pagination says whether the total is exact");

  // Any list, page after page, by cursor (here at most three pages of two).
  let pages = 0;
  for await (const page of shop.pages("/api/v1/products", { inStock: true, sort: "name", limit: 2 })) {
    check(page.data.length <= 2, "a page holds at most limit rows");
    if (++pages === 3) break;
  }

  const one = await shop.GET("/api/v1/products/{id}", { params: { path: { id: first.id } } });
  check(one.data?.data.id === first.id, "get product by id");
  check(one.response.headers.get("ETag"), "products carry an ETag");

  // The client adds an Idempotency-Key by itself; name one to retry a request safely.
  const body = { items: [{ productId: first.id, quantity: 1 }], note: "from the TypeScript client" };
  const placed = await shop.POST("/api/v1/orders", { body });
  check(placed.response.status === 201 && placed.data, `place order: ${placed.response.status} ${JSON.stringify(placed.error)}`);
  const order = placed.data.data;
  const line = order.items[0];
  check(line?.unitPriceCents === first.priceCents, "the price comes from the catalog");
  check(order.totalCents === order.items.reduce((sum, it) => sum + it.lineTotalCents, 0), "the total is the lines' sum");

  const key = `ts-order-${Date.now()}`;
  const keyed = unwrap(await shop.POST("/api/v1/orders", { params: { header: { "Idempotency-Key": key } }, body })).data;
  const retried = unwrap(await shop.POST("/api/v1/orders", { params: { header: { "Idempotency-Key": key } }, body })).data;
  check(retried.id === keyed.id, "a retry with the same key returns the same order");

  // "My orders" with what each one bought: one request per page, never one per order.
  let listed: components["schemas"]["OrderSummary"] | undefined;
  let orderPages = 0;
  for await (const page of shop.pages("/api/v1/orders", { limit: 10, include: "items" })) {
    listed = page.data.find((o) => o.id === order.id);
    if (listed || ++orderPages === 3) break;
  }
  check(listed, "the order is in my list");
  check(listed.items?.length === listed.itemCount && listed.items[0]?.name === line.name, "the list carries the order's lines");

  await shop.logout();
  check(shop.session.tokens === null && stored === null, "logging out ends the session");

  console.log(JSON.stringify({ ok: true, email, product: first.sku, order: order.id }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
