import type { ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';

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
