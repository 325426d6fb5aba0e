import type { adminEn } from './admin.en';

/** Russian strings of the admin screens; every key of admin.en.ts must be here. */
export const adminRu: Record<keyof typeof adminEn, string> = {};
