// The types of the lists that the page iterator (ShopfloorClient.pages) walks.
import type { paths } from "./schema.js";

/** The paths whose GET is a paged list: they take a `cursor` query parameter. */
export type ListPath = {
  [P in keyof paths]: paths[P] extends { get: { parameters: { query?: infer Q } } }
    ? "cursor" extends keyof NonNullable<Q>
      ? P
      : never
    : never;
}[keyof paths];

/** The filters, sort and limit of a list (`page` and `cursor` are the iterator's). */
export type ListQuery<P extends ListPath> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? Omit<NonNullable<Q>, "cursor" | "page">
  : never;

/** One page of a list as the API returns it: `data` and `pagination`. */
export type ListPage<P extends ListPath> = paths[P] extends {
  get: { responses: { 200: { content: { "application/json": infer B } } } };
}
  ? B
  : never;
