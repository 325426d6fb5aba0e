/** Small pieces the admin screens share: loading every manager, field errors. */
import type { ApiError } from '../api/client';
import { api, type Schemas, unwrapPage, type User } from '../api/client';
import { useI18n } from '../i18n/i18n';

export type Grant = Schemas['Grant'];

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

export { asApiError } from '../api/client';

/**
 * Per-field messages for a form from an API error, in the console's language: our text for fields
 * we know (the server's messages are English), else the server's. A taken email is a 409 without
 * field details, but it belongs under the email field.
 */
export function useFieldErrors(): (error: ApiError) => Record<string, string> {
  const { t, has } = useI18n();
  return (error) => {
    const fields = error.fieldErrors();
    const out: Record<string, string> = {};
    for (const [field, message] of Object.entries(fields)) {
      const key = `admin.fieldError.${field}`;
      out[field] = has(key) ? t(key) : message;
    }
    if (error.code === 'EMAIL_TAKEN') {
      out.email = t('error.EMAIL_TAKEN');
    }
    if (error.code === 'INVALID_PHONE_NUMBER') {
      out.phoneNumber = t('admin.fieldError.phoneNumber');
    }
    return out;
  };
}
