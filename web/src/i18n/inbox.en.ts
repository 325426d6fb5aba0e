/** English strings of the inbox screens (`inbox.*`), merged into en.ts. */
export const inboxEn = {} satisfies Record<string, string>;
