import { deflateSync } from 'node:zlib';

import { proto } from 'baileys';

/** A chat as a phone hands it to a newly linked device. */
export interface HistoryChat {
  /** `…@s.whatsapp.net`, `…@lid` or `…@g.us`. */
  jid: string;
  name?: string;
  unreadCount?: number;
  /** For a chat known by hidden id: its phone id, when the phone knows it. */
  pnJid?: string;
  messages: {
    id: string;
    text: string;
    fromMe?: boolean;
    at: Date;
    /** In a group: who wrote it. */
    participant?: string;
    pushName?: string;
  }[];
}

export interface HistoryChunk {
  syncType?: proto.HistorySync.HistorySyncType;
  progress?: number;
  chats?: HistoryChat[];
  pushNames?: { jid: string; name: string }[];
  lidPnPairs?: { lid: string; pn: string }[];
}

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
      pnJid: chat.pnJid,
      conversationTimestamp: Math.floor((chat.messages.at(-1)?.at.getTime() ?? Date.now()) / 1000),
      messages: chat.messages.map((message, index) => ({
        msgOrderId: index + 1,
        message: {
          key: {
            remoteJid: chat.jid,
            fromMe: Boolean(message.fromMe),
            id: message.id,
            participant: message.participant,
          },
          message: { conversation: message.text },
          messageTimestamp: Math.floor(message.at.getTime() / 1000),
          pushName: message.pushName,
          status: message.fromMe
            ? proto.WebMessageInfo.Status.DELIVERY_ACK
            : proto.WebMessageInfo.Status.READ,
        },
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
