/**
 * Phone numbers as the contract writes them: digits with country code, no plus (`79991234567`).
 * Accepts what people type (`+7 (999) 123-45-67`) and returns null for anything that is not
 * 7 to 15 digits once the separators are gone (E.164 allows at most 15).
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) {
    return null;
  }
  const digits = trimmed.replace(/\D/g, '');
  return digits.length >= 7 && digits.length <= 15 ? digits : null;
}
