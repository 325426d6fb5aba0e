import type { Actor } from '../../shared/actor.js';
import type { StatsRepository } from './stats.repository.js';

/** Days in the window, today (UTC) included; the contract's field is `messagesLast30Days`. */
export const STATS_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DailyCount {
  /** UTC calendar day, `YYYY-MM-DD`. */
  date: string;
  incoming: number;
  outgoing: number;
}

export interface Stats {
  activeSessions: number;
  totalSessions: number;
  totalChats: number;
  messagesLast30Days: { total: number; incoming: number; outgoing: number };
  daily: DailyCount[];
}

/**
 * The window is whole UTC days: from 00:00 UTC of the day 29 days before today up to the end of
 * today (exclusive), so the 30 entries of `daily` cover it exactly and always add up to the totals.
 * A rolling `now - 30 days` would instead count part of a day that the series cannot show.
 */
export function statsWindow(now: Date, days = STATS_DAYS): { from: Date; to: Date; dates: string[] } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = today - (days - 1) * DAY_MS;
  const dates = Array.from({ length: days }, (_, i) =>
    new Date(from + i * DAY_MS).toISOString().slice(0, 10),
  );
  return { from: new Date(from), to: new Date(today + DAY_MS), dates };
}

export function createStatsService(deps: {
  stats: Pick<StatsRepository, 'countSessions' | 'countChats' | 'countMessagesByDay'>;
  /** The clock; tests of the window may pin it. */
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    /** The actor's company's figures for the dashboard. Admin-only (gated at the route). */
    async get(actor: Actor): Promise<Stats> {
      const { from, to, dates } = statsWindow(now());
      // Three aggregate queries; on PGlite they run one after another, on PostgreSQL side by side.
      const [sessions, totalChats, counts] = await Promise.all([
        deps.stats.countSessions(actor.companyId),
        deps.stats.countChats(actor.companyId),
        deps.stats.countMessagesByDay(actor.companyId, from, to),
      ]);

      // Zero-filled in code: at most 2 × 30 grouped rows come back, one per day and direction.
      const byDate = new Map<string, DailyCount>(
        dates.map((date) => [date, { date, incoming: 0, outgoing: 0 }]),
      );
      for (const row of counts) {
        const day = byDate.get(row.day);
        if (!day) {
          continue;
        }
        if (row.fromMe) {
          day.outgoing += row.count;
        } else {
          day.incoming += row.count;
        }
      }
      const daily = [...byDate.values()];
      const incoming = daily.reduce((sum, d) => sum + d.incoming, 0);
      const outgoing = daily.reduce((sum, d) => sum + d.outgoing, 0);

      return {
        activeSessions: sessions.ready,
        totalSessions: sessions.total,
        totalChats,
        messagesLast30Days: { total: incoming + outgoing, incoming, outgoing },
        daily,
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
