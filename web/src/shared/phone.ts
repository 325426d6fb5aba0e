/** Phone numbers: the API stores and takes them as digits with the country code (`79991234567`). */

/** `79991234567` → `+79991234567`; anything that is not only digits shows as it is; none is null. */
export function formatPhone(phone: string | null | undefined): string | null {
  if (!phone) {
    return null;
  }
  return /^\d+$/.test(phone) ? `+${phone}` : phone;
}

/** A bare phone number as the API takes it (digits with country code), or null. */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) {
    return null;
  }
  const digits = trimmed.replace(/\D/g, '');
  return /^\d{7,15}$/.test(digits) ? digits : null;
}

/** Whether a chat reference from the URL is a phone number rather than a chat id. */
export function isPhoneRef(ref: string): boolean {
  return /^\d{7,15}$/.test(ref);
}
