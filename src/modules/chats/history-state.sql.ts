import { sql } from 'drizzle-orm';

import { prepareSql } from '../../db/prepared.js';
import { chats } from './chats.table.js';
import { messages } from './messages.table.js';

/** The history sync's view of chats and people, laid over the stored chats in one statement each. */

const p = (name: string) => sql.placeholder(name);

/** What the phone says about a chat, addressed by its WhatsApp id and hidden id (either may find it). */
export interface ChatState {
  waChatId: string;
  lid?: string | null;
  name?: string | null;
  unreadCount?: number | null;
  archived?: boolean | null;
  pinned?: boolean | null;
  /** The newest activity the phone's unread count takes into account. */
  asOf?: Date | null;
}

/** A person's names under one of their ids (`number@c.us` or `…@lid`). */
export interface ContactName {
  waId: string;
  name?: string | null;
  pushName?: string | null;
}

/**
 * The phone's view of chats (history sync) laid over the stored chats, in one statement. Each entry
 * finds its chat by either id; entries that land on one chat (a person's phone-id and hidden-id
 * threads) add their unread counts, and the rest comes from the entry under the chat's own id first.
 * The phone counted unread messages up to `as_of`: incoming messages stored since are added.
 * Chats the phone names but we hold no message of are not created.
 */
export const chatStatesStatement = prepareSql(
  'chat_states_apply',
  sql`
  with v as (
    select *
    from unnest(${p('waChatIds')}::text[], ${p('lids')}::text[], ${p('names')}::text[], ${p('unread')}::int[],
                ${p('archived')}::boolean[], ${p('pinned')}::boolean[], ${p('asOf')}::timestamptz[])
      with ordinality as v(wa_chat_id, lid, name, unread, archived, pinned, as_of, n)
  ),
  matched as (
    select c.id as chat_id, c.wa_chat_id = v.wa_chat_id as own, v.*
    from v
    join ${chats} c on c.company_id = ${p('companyId')}::uuid and c.session_id = ${p('sessionId')}::uuid
      and (c.wa_chat_id = v.wa_chat_id or c.lid = v.wa_chat_id or c.wa_chat_id = v.lid or c.lid = v.lid)
  ),
  per_chat as (
    select chat_id,
      (array_agg(name order by own desc, n desc) filter (where name is not null))[1] as name,
      sum(unread)::int as unread,
      max(as_of) as as_of,
      (array_agg(archived order by own desc, n desc) filter (where archived is not null))[1] as archived,
      (array_agg(pinned order by own desc, n desc) filter (where pinned is not null))[1] as pinned
    from matched
    group by chat_id
  )
  update ${chats} c set
    name = coalesce(s.name, c.name),
    unread_count = case when s.unread is null then c.unread_count else s.unread + (
      select count(*)::int from ${messages} m
      where m.chat_id = c.id and m.session_id = c.session_id and m.company_id = c.company_id
        and not m.from_me and m.type <> all(${p('notConversation')}::text[]) and m."timestamp" > s.as_of
    ) end,
    archived = coalesce(s.archived, c.archived),
    pinned = coalesce(s.pinned, c.pinned),
    updated_at = now()
  from per_chat s
  where c.id = s.chat_id
  returning c.*
`,
);

/**
 * Names of people, one row per id they go by: their direct chats take the name the account saved
 * (a push name only fills a chat without one), and their messages without a sender name take the
 * push name, as live messages carry it.
 */
export const contactsStatement = prepareSql(
  'contacts_apply',
  sql`
  with v as (
    select * from unnest(${p('waIds')}::text[], ${p('names')}::text[], ${p('pushNames')}::text[])
      as v(wa_id, name, push_name)
  ),
  senders as (
    update ${messages} m set sender_name = v.push_name
    from v
    where m.company_id = ${p('companyId')}::uuid and m.session_id = ${p('sessionId')}::uuid
      and m.sender_wa_id = v.wa_id and m.sender_name is null and not m.from_me and v.push_name is not null
    returning m.id
  ),
  named as (
    select distinct on (c.id) c.id, coalesce(v.name, c.name, v.push_name) as name
    from v
    join ${chats} c on c.company_id = ${p('companyId')}::uuid and c.session_id = ${p('sessionId')}::uuid
      and (c.wa_chat_id = v.wa_id or c.lid = v.wa_id)
    where not c.is_group
    order by c.id, v.name is null
  ),
  renamed as (
    update ${chats} c set name = named.name, updated_at = now()
    from named
    where c.id = named.id and named.name is distinct from c.name
    returning c.id
  )
  select (select count(*)::int from senders) as senders, (select count(*)::int from renamed) as chats
`,
);
