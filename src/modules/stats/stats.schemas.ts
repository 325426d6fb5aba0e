import { z } from 'zod';

/** No parameters; an unknown one (e.g. `days`) is a 400 rather than silently ignored. */
export const StatsQuery = z.strictObject({});

const Count = z.number().int().min(0);

export const StatsDto = z
  .object({
    activeSessions: Count.meta({ description: 'Sessions whose status is `ready`' }),
    totalSessions: Count.meta({ description: "All of the company's sessions, whatever their status" }),
    totalChats: Count.meta({ description: "All chats of the company's sessions" }),
    messagesLast30Days: z
      .object({
        total: Count.meta({ description: 'incoming + outgoing' }),
        incoming: Count.meta({ description: 'Messages received from contacts' }),
        outgoing: Count.meta({
          description:
            'Messages sent by the company: through the API (whatever their delivery status) or from the phone',
        }),
      })
      .meta({
        description:
          'Messages whose WhatsApp timestamp falls in the last 30 UTC calendar days, today included ' +
          '(from 00:00 UTC 29 days ago up to now): exactly the sum of `daily`. Reactions and ' +
          "WhatsApp's system notices are not messages anyone wrote and are not counted.",
      }),
    daily: z
      .array(
        z.object({
          date: z.iso.date().meta({ description: 'UTC calendar day', example: '2025-01-31' }),
          incoming: Count,
          outgoing: Count,
        }),
      )
      .meta({
        description:
          'One entry per UTC day, always 30, oldest first, ending with today; days without messages are zeros',
      }),
  })
  .meta({ id: 'Stats' });
