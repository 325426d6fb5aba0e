import { api, unwrapPage, type User } from '../api/client';

/** At most this many pages of 200 (a company with more managers than that is not our audience). */
const MAX_PAGES = 25;

/** Every manager of the company, active and deactivated, oldest first (the list is paginated). */
export async function loadAllManagers(signal?: AbortSignal): Promise<User[]> {
  const all: User[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, pagination } = await unwrapPage(
      api.GET('/api/managers', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } }, signal }),
    );
    all.push(...items);
    if (!pagination.hasMore || !pagination.nextCursor) {
      break;
    }
    cursor = pagination.nextCursor;
  }
  return all;
}
