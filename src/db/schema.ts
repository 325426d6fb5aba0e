// drizzle-kit's entry point: every module's tables, re-exported.
export * from '../http/idempotency.table.js';
export * from '../modules/access/access.table.js';
export * from '../modules/audit/audit.table.js';
export * from '../modules/chats/chats.table.js';
export * from '../modules/chats/messages.table.js';
export * from '../modules/companies/companies.table.js';
export * from '../modules/companies/users.table.js';
export * from '../modules/engine/credentials.table.js';
export * from '../modules/sessions/sessions.table.js';
