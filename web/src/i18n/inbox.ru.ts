import type { inboxEn } from './inbox.en';

/** Russian strings of the inbox screens; every key of inbox.en.ts must be here. */
export const inboxRu: Record<keyof typeof inboxEn, string> = {};
