import { sql } from 'drizzle-orm';

import type { Database } from '../../src/db/client.js';

/** What to seed: `messages` over `chats` chats, of which chat 0 (the "big" one) holds `bigChatMessages`. */
export interface InboxSize {
  chats: number;
  messages: number;
  /** Must be messages / 5: every fifth message goes to the big chat. */
  bigChatMessages: number;
}

/** Seconds between two consecutive messages of the session (30 s: 1,000,000 messages span ~347 days). */
const STEP_MS = 30_000;

/**
 * A UUIDv7 (what `newId()` makes) in SQL: 48 bits of milliseconds, version 7, variant 10, and
 * pseudo-random bits from md5(seed), so ids sort by time exactly as the service's do.
 */
function uuid7(ms: string, seed: string): string {
  return `(lpad(to_hex(${ms}), 12, '0') || '7' || substr(md5(${seed}), 1, 3)
    || substr('89ab', 1 + (get_byte(decode(substr(md5(${seed}), 4, 2), 'hex'), 0) & 3), 1)
    || substr(md5(${seed}), 6, 15))::uuid`;
}

/**
 * Seeds one session's inbox directly in SQL (generate_series: 1,000,000 rows in seconds), with rows
 * shaped like the ingest's: every column `toMessageRow` writes, WhatsApp-style ids, UUIDv7 ids in
 * time order, text bodies (some image captions with media), statuses by direction, and chat
 * counters and last-message fields computed from the messages themselves. Then ANALYZE.
 *
 * Message i (0-based, in time order, 30 s apart with millisecond jitter) goes to chat 0 when
 * i % 5 = 0 and to chat 1 + i % (chats - 1) otherwise. About a third are ours (half of those sent
 * through the API by `senderUserId`); incoming messages of the last hour or so are still unread.
 */
export async function seedInbox(
  database: Database,
  ref: { companyId: string; sessionId: string; senderUserId: string },
  size: InboxSize,
): Promise<void> {
  if (size.bigChatMessages * 5 !== size.messages) {
    throw new Error('seedInbox: the big chat holds every fifth message');
  }
  const { db } = database;
  const nowMs = Date.now();
  const startMs = nowMs - size.messages * STEP_MS;
  const others = size.chats - 1;
  const unreadFrom = size.messages - 200; // the newest 200 incoming messages are unread
  const phone = (c: string) => `'7900' || lpad((${c})::text, 7, '0')`;
  // Numbers are ours, inlined as bigint literals (a bind parameter would be typed int4).
  const n = (value: number) => sql.raw(`${Math.trunc(value)}::bigint`);
  const chatMs = `${startMs - 86_400_000}::bigint + c`;

  await db.execute(sql`
    insert into chats (id, session_id, company_id, wa_chat_id, phone_number, name, is_group,
                       archived, pinned, last_activity_at, created_at, updated_at)
    select ${sql.raw(uuid7(chatMs, `'chat' || c`))},
           ${ref.sessionId}::uuid, ${ref.companyId}::uuid,
           ${sql.raw(phone('c'))} || '@c.us', ${sql.raw(phone('c'))}, 'Contact ' || (c + 1), false,
           c % 50 = 49, c % 500 = 1,
           to_timestamp((${sql.raw(chatMs)}) / 1000.0),
           to_timestamp((${sql.raw(chatMs)}) / 1000.0),
           to_timestamp((${sql.raw(chatMs)}) / 1000.0)
    from generate_series(0, ${n(size.chats - 1)}) c
  `);

  await db.execute(sql`
    with ids as (
      select array_agg(id order by phone_number) as chat_ids
      from chats where session_id = ${ref.sessionId}::uuid
    ),
    m as (
      select i,
             case when i % 5 = 0 then 0 else 1 + i % ${n(others)} end as c,
             ${n(startMs)} + i * ${n(STEP_MS)} + (hashint4(i::int) & 32767) % ${n(STEP_MS - 1000)} as ms,
             i % 3 = 1 as from_me,
             i % 37 = 5 as image
      from generate_series(0, ${n(size.messages - 1)}) i
    )
    insert into messages (id, session_id, chat_id, company_id, wa_message_id, from_me, type, body,
                          sender_wa_id, sender_phone, sender_name, timestamp, status, sent_by_user_id,
                          quoted_wa_message_id, media, media_ref, created_at)
    select ${sql.raw(uuid7('m.ms', "'m' || i"))},
           ${ref.sessionId}::uuid, ids.chat_ids[(m.c + 1)::int], ${ref.companyId}::uuid,
           '3EB0' || upper(lpad(to_hex(i), 8, '0') || substr(md5(i::text), 1, 10)),
           m.from_me,
           case when m.image then 'image' else 'text' end,
           case
             when m.image then 'Photo ' || i
             when m.from_me then 'Thanks for your order #' || (100000 + i % 90000) || ', it ships '
               || (array['today', 'tomorrow', 'on Monday', 'next week'])[1 + i % 4]
               || repeat('. We will let you know when it is on its way', (i % 3)::int)
             else 'Hello! Is item ' || (1000 + i % 9000) || ' still available? '
               || repeat('I would like to order it for my office, please tell me the price. ', (i % 4)::int)
           end,
           case when m.from_me then null else ${sql.raw(phone('m.c'))} || '@c.us' end,
           case when m.from_me then null else ${sql.raw(phone('m.c'))} end,
           case when m.from_me then null else 'Contact ' || (m.c + 1) end,
           to_timestamp(m.ms / 1000.0),
           (case
             when not m.from_me and i >= ${n(unreadFrom)} and m.c % 50 <> 49 then 'received'
             when not m.from_me then 'read'
             when i >= ${n(size.messages - 2000)} then 'delivered'
             else 'read'
           end)::message_status,
           case when m.from_me and i % 2 = 0 then ${ref.senderUserId}::uuid end,
           null,
           case when m.image then '{"mimetype":"image/jpeg","size":48213,"width":1280,"height":960}'::jsonb end,
           case when m.image then '{"type":"image","waMessageId":"seed"}' end,
           to_timestamp((m.ms + 800) / 1000.0)
    from m, ids
  `);

  // What the ingest keeps on each chat: its newest message, the activity time, unread incoming.
  await db.execute(sql`
    update chats c set
      last_message_id = l.id,
      last_message_body = left(l.body, 500),
      last_message_type = l.type,
      last_message_from_me = l.from_me,
      last_message_at = l.timestamp,
      last_activity_at = l.timestamp,
      unread_count = u.unread,
      updated_at = l.timestamp
    from (
      select distinct on (chat_id) chat_id, id, body, type, from_me, timestamp
      from messages where session_id = ${ref.sessionId}::uuid
      order by chat_id, timestamp desc, id desc
    ) l
    join (
      select chat_id, count(*) filter (where status = 'received')::int as unread
      from messages where session_id = ${ref.sessionId}::uuid
      group by chat_id
    ) u using (chat_id)
    where c.id = l.chat_id
  `);
  await db.execute(sql`analyze chats`);
  await db.execute(sql`analyze messages`);
}
