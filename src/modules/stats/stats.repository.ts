import { and, count, eq, gte, lt, notInArray, sql } from 'drizzle-orm';

import type { Db } from '../../db/client.js';
import { chats } from '../chats/chats.table.js';
import { messages } from '../chats/messages.table.js';
import type { MessageType } from '../engine/engine.js';
import { whatsappSessions } from '../sessions/sessions.table.js';

/**
 * Not counted as messages: a reaction is an emoji attached to someone else's message and a system
 * message is WhatsApp's own notice ("… joined", "security code changed"); neither is a message
 * anybody wrote, and counting them would inflate the figures an admin reads as conversation volume.
 */
export const UNCOUNTED_MESSAGE_TYPES: readonly MessageType[] = ['reaction', 'system'];

export interface DayDirectionCount {
  /** The UTC calendar day, `YYYY-MM-DD`. */
  day: string;
  fromMe: boolean;
  count: number;
}

// Formatted in SQL so that neither driver turns a `timestamp without time zone` into a local Date.
const utcDay = sql<string>`to_char(date_trunc('day', ${messages.timestamp} at time zone 'UTC'), 'YYYY-MM-DD')`;

/** Aggregates only: every function answers with counts, never with the rows it counts. */
export function createStatsRepository(db: Db) {
  return {
    async countSessions(companyId: string): Promise<{ total: number; ready: number }> {
      const [row] = await db
        .select({
          total: count(),
          ready: sql<number>`count(*) filter (where ${whatsappSessions.status} = 'ready')`.mapWith(Number),
        })
        .from(whatsappSessions)
        .where(eq(whatsappSessions.companyId, companyId));
      return { total: row?.total ?? 0, ready: row?.ready ?? 0 };
    },

    async countChats(companyId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(chats).where(eq(chats.companyId, companyId));
      return row?.n ?? 0;
    },

    /**
     * The company's messages with `from <= timestamp < to`, counted per UTC day and direction; days
     * without messages are absent. The equality on company_id and the range on timestamp are the
     * leading columns of messages_company_timestamp_idx, so the scan is one index range.
     */
    async countMessagesByDay(companyId: string, from: Date, to: Date): Promise<DayDirectionCount[]> {
      return db
        .select({ day: utcDay, fromMe: messages.fromMe, count: count() })
        .from(messages)
        .where(
          and(
            eq(messages.companyId, companyId),
            gte(messages.timestamp, from),
            lt(messages.timestamp, to),
            notInArray(messages.type, [...UNCOUNTED_MESSAGE_TYPES]),
          ),
        )
        .groupBy(utcDay, messages.fromMe);
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;
