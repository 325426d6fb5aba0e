import type { Database } from '../../src/db/client.js';
import { companies } from '../../src/modules/companies/companies.table.js';
import { type SessionRow, whatsappSessions } from '../../src/modules/sessions/sessions.table.js';

/** A company and one of its sessions, inserted directly: for module tests below the HTTP layer. */
export async function givenSessionRow(database: Database, engine = 'simulator'): Promise<SessionRow> {
  const [company] = await database.db.insert(companies).values({ name: 'Acme' }).returning();
  const [session] = await database.db
    .insert(whatsappSessions)
    .values({ companyId: company!.id, name: 'Sales', engine })
    .returning();
  return session!;
}
