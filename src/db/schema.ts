// drizzle-kit's entry point: every module's tables, re-exported.
export * from '../modules/audit/audit.table.js';
export * from '../modules/companies/companies.table.js';
export * from '../modules/companies/users.table.js';
