import type { ListSessionsRequest, ListSessionsResponse, Session } from "@google/adk";

/**
 * One page of a listing, as `ListSessionsRequest` defines it: `order` sorts by `lastUpdateTime` (ties by id),
 * `limit` with `page` (1-based) or `offset` picks the page, and without `limit` every session from `offset`
 * on is one page whose `limit` is the total.
 */
export function paginate(
  all: Session[],
  { limit, offset, page, order }: Pick<ListSessionsRequest, "limit" | "offset" | "page" | "order">,
): ListSessionsResponse {
  if (order === "asc") all.sort((a, b) => a.lastUpdateTime - b.lastUpdateTime || a.id.localeCompare(b.id));
  else if (order === "desc") {
    all.sort((a, b) => b.lastUpdateTime - a.lastUpdateTime || a.id.localeCompare(b.id));
  }
  const totalItems = all.length;
  if (limit === undefined) {
    return {
      sessions: offset ? all.slice(offset) : all,
      page: 1,
      limit: totalItems,
      totalItems,
      totalPages: totalItems === 0 ? 0 : 1,
    };
  }
  const start = page !== undefined ? (page - 1) * limit : (offset ?? 0);
  return {
    sessions: all.slice(start, start + limit),
    page: page ?? (limit === 0 ? 1 : Math.floor(start / limit) + 1),
    limit,
    totalItems,
    totalPages: limit === 0 ? 0 : Math.ceil(totalItems / limit),
  };
}
