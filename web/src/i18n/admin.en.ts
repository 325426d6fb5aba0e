/** English strings of the admin screens (`sessions.*, managers.*, access.*, stats.*, audit.*`), merged into en.ts. */
export const adminEn = {} satisfies Record<string, string>;
