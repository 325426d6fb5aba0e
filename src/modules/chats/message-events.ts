import type { EventBus } from '../../events/event-bus.js';
import type { MessageRow } from './messages.table.js';

/** Announces a message's delivery status as stored now (a report from WhatsApp, a send's outcome). */
export function emitMessageStatus(events: EventBus, row: MessageRow): void {
  events.emit('message.status', {
    companyId: row.companyId,
    sessionId: row.sessionId,
    chatId: row.chatId,
    messageId: row.id,
    waMessageId: row.waMessageId,
    status: row.status,
    error: row.status === 'failed' ? row.error : null,
  });
}
