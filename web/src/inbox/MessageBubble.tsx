import { memo } from 'react';

import { type MessageKey, useI18n } from '../i18n/i18n';
import { formatPhone } from '../shared/phone';
import { useInboxErrorText, useInboxFormat } from './format';
import { Icon } from './Icon';
import { MessageContent, Preview } from './MessageContent';
import type { MessageStatus, ThreadMessage } from './model';

const TICK_LABELS: Record<MessageStatus, MessageKey> = {
  pending: 'inbox.tick.pending',
  sent: 'inbox.tick.sent',
  delivered: 'inbox.tick.delivered',
  read: 'inbox.tick.read',
  played: 'inbox.tick.played',
  failed: 'inbox.tick.failed',
  received: 'inbox.tick.received',
};

/** WhatsApp's delivery marks: a clock, one tick, two ticks, two blue ticks, or a warning. */
export function Ticks({ status }: { status: MessageStatus }) {
  const { t } = useI18n();
  const label = t(TICK_LABELS[status]);
  let icon;
  switch (status) {
    case 'pending':
      icon = (
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
      );
      break;
    case 'sent':
      icon = (
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <path d="M2.5 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.7" />
        </svg>
      );
      break;
    case 'failed':
      icon = (
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="6.5" fill="currentColor" />
          <path d="M8 4.5v4.5M8 10.8v.9" stroke="#fff" strokeWidth="1.6" />
        </svg>
      );
      break;
    default:
      icon = (
        <svg viewBox="0 0 20 16" aria-hidden="true">
          <path d="M1.5 8.5l3 3 7-7M8 11.5l7-7" fill="none" stroke="currentColor" strokeWidth="1.7" />
        </svg>
      );
  }
  return (
    <span className="inbox-ticks" data-testid="message-ticks" data-status={status} title={label}>
      {icon}
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

export interface MessageBubbleProps {
  message: ThreadMessage;
  /** The quoted message: undefined when it quotes nothing, null when the quoted one is not loaded. */
  quoted: ThreadMessage | null | undefined;
  showSender: boolean;
  canReply: boolean;
  onReply: (message: ThreadMessage) => void;
  onRetry: (localKey: string) => void;
  onShowQuoted: (messageId: string) => void;
  /** Its actions are shown (touch screens: after a tap on the bubble). */
  active: boolean;
  onActivate: (messageId: string) => void;
}

/** One message: sender (groups), quote, content, time, edited mark and delivery ticks. */
export const MessageBubble = memo(function MessageBubble({
  message,
  quoted,
  showSender,
  canReply,
  onReply,
  onRetry,
  onShowQuoted,
  active,
  onActivate,
}: MessageBubbleProps) {
  const { t } = useI18n();
  const format = useInboxFormat();
  const errorText = useInboxErrorText();
  const outgoing = message.fromMe;
  const sender = message.sender.name ?? formatPhone(message.sender.phoneNumber);
  const notSent = message.localKey && message.submitError;

  return (
    <div
      id={`message-${message.id}`}
      className="inbox-msg"
      data-direction={outgoing ? 'outgoing' : 'incoming'}
      data-testid="message"
      data-message-id={message.id}
      data-status={message.status}
      data-type={message.type}
      data-pending={message.localKey ? 'true' : undefined}
      data-active={active || undefined}
    >
      <div className="inbox-msg-row">
        {/* A tap on a bubble shows its actions on touch screens, where nothing hovers. */}
        <div className="inbox-bubble" onClick={() => onActivate(message.id)}>
          {showSender && !outgoing && sender ? <p className="inbox-msg-sender">{sender}</p> : null}
          {quoted !== undefined ? <Quote message={quoted} onShow={onShowQuoted} /> : null}
          <MessageContent message={message} />
          <p className="inbox-msg-meta">
            {message.editedAt && !message.deletedAt ? (
              <span className="inbox-msg-edited" data-testid="message-edited">
                {t('inbox.message.edited')}
              </span>
            ) : null}
            <time dateTime={message.timestamp}>{format.time(message.timestamp)}</time>
            {outgoing ? <Ticks status={message.status} /> : null}
          </p>
        </div>
        {canReply && !message.localKey && !message.deletedAt ? (
          <button
            type="button"
            className="inbox-msg-reply"
            onClick={() => onReply(message)}
            data-testid="message-reply"
            title={t('inbox.action.reply')}
          >
            <Icon name="reply" size={18} />
            <span className="visually-hidden">{t('inbox.action.reply')}</span>
          </button>
        ) : null}
      </div>
      {notSent ? (
        <p className="inbox-msg-failure" role="alert">
          <span>{errorText(message.submitError!)}</span>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => onRetry(message.localKey!)}
            data-testid="message-retry"
          >
            {t('inbox.message.retry')}
          </button>
        </p>
      ) : message.status === 'failed' && message.error ? (
        <p className="inbox-msg-failure" title={message.error}>
          {t('inbox.message.notSent')}
        </p>
      ) : null}
    </div>
  );
});

/** The quoted message above a reply; a click scrolls to it. */
export function Quote({
  message,
  onShow,
}: {
  message: ThreadMessage | null;
  onShow?: (messageId: string) => void;
}) {
  const { t } = useI18n();
  if (!message) {
    return (
      <div className="inbox-quote" data-testid="message-quote">
        <span className="inbox-quote-text muted">{t('inbox.message.quotedMissing')}</span>
      </div>
    );
  }
  const who = message.fromMe
    ? t('inbox.message.you')
    : (message.sender.name ?? formatPhone(message.sender.phoneNumber) ?? '');
  const text = message.deletedAt ? t('inbox.message.deleted') : <Preview message={message} />;
  const content = (
    <>
      <span className="inbox-quote-who">{who}</span>
      <span className="inbox-quote-text">{text}</span>
    </>
  );
  return onShow ? (
    <button
      type="button"
      className="inbox-quote"
      data-testid="message-quote"
      onClick={() => onShow(message.id)}
    >
      {content}
    </button>
  ) : (
    <div className="inbox-quote" data-testid="message-quote">
      {content}
    </div>
  );
}
