import { deflateSync } from 'node:zlib';

import { proto } from 'baileys';

/** A chat as a phone hands it to a newly linked device. */
export interface HistoryChat {
  /** `…@s.whatsapp.net`, `…@lid` or `…@g.us`. */
  jid: string;
  /** The contact's name in the phone's address book, or the group's subject. */
  name?: string;
  unreadCount?: number;
  /** The chat is marked unread on the phone (no count). */
  markedAsUnread?: boolean;
  archived?: boolean;
  pinned?: boolean;
  /** For a chat known by hidden id: its phone id, when the phone knows it. */
  pnJid?: string;
  /** For a chat known by phone id: its hidden id, when the phone knows it. */
  lidJid?: string;
  messages: HistoryMessage[];
}

/** One message of a chat's history: a text, other content, or a stub (a deleted message, a notice). */
export interface HistoryMessage {
  id: string;
  text?: string;
  /** Content other than a text (`text` is then ignored). */
  content?: proto.IMessage;
  /** A message without content: what it stands for, and its parameters. */
  stub?: { type: proto.WebMessageInfo.StubType; parameters?: string[] };
  fromMe?: boolean;
  at: Date;
  /** In a group: who wrote it. */
  participant?: string;
  pushName?: string;
  /** Default: delivered for our own messages, read for others'. */
  status?: proto.WebMessageInfo.Status;
  /** Our own messages: who received or read them, and when. */
  userReceipt?: proto.IUserReceipt[];
}

const historyInfo = (jid: string, message: HistoryMessage): proto.IWebMessageInfo => ({
  key: { remoteJid: jid, fromMe: Boolean(message.fromMe), id: message.id, participant: message.participant },
  participant: message.participant,
  message: message.stub ? undefined : (message.content ?? { conversation: message.text ?? '' }),
  messageStubType: message.stub?.type,
  messageStubParameters: message.stub?.parameters,
  messageTimestamp: Math.floor(message.at.getTime() / 1000),
  pushName: message.pushName,
  status:
    message.status ??
    (message.fromMe ? proto.WebMessageInfo.Status.DELIVERY_ACK : proto.WebMessageInfo.Status.READ),
  userReceipt: message.userReceipt,
});

export interface HistoryChunk {
  syncType?: proto.HistorySync.HistorySyncType;
  progress?: number;
  chats?: HistoryChat[];
  pushNames?: { jid: string; name: string }[];
  lidPnPairs?: { lid: string; pn: string }[];
}

const unixSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** The time of a chat's newest message (now for a chat without any). */
const newestOf = (chat: HistoryChat) =>
  chat.messages.reduce<Date | null>((newest, m) => (newest && newest > m.at ? newest : m.at), null) ??
  new Date();

/** The protocol message a phone sends its new device for one chunk of history (inline payload). */
export function historyNotification(chunk: HistoryChunk, chunkOrder: number): proto.IMessage {
  const syncType = chunk.syncType ?? proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP;
  const history = proto.HistorySync.encode({
    syncType,
    chunkOrder,
    progress: chunk.progress,
    conversations: (chunk.chats ?? []).map((chat) => ({
      id: chat.jid,
      name: chat.name,
      displayName: chat.name,
      unreadCount: chat.unreadCount,
      markedAsUnread: chat.markedAsUnread,
      archived: chat.archived,
      pinned: chat.pinned ? unixSeconds(new Date()) : undefined,
      pnJid: chat.pnJid,
      lidJid: chat.lidJid,
      conversationTimestamp: unixSeconds(newestOf(chat)),
      // Newest first, as phones send them (Baileys takes the first as the chat's last message).
      messages: [...chat.messages].reverse().map((message, index) => ({
        msgOrderId: chat.messages.length - index,
        message: historyInfo(chat.jid, message),
      })),
    })),
    pushnames: (chunk.pushNames ?? []).map(({ jid, name }) => ({ id: jid, pushname: name })),
    phoneNumberToLidMappings: (chunk.lidPnPairs ?? []).map(({ lid, pn }) => ({ lidJid: lid, pnJid: pn })),
  }).finish();
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: syncType as unknown as proto.Message.HistorySyncType,
        chunkOrder,
        progress: chunk.progress,
        initialHistBootstrapInlinePayload: deflateSync(history),
      },
    },
  };
}
