import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';

import { useI18n } from '../i18n/i18n';
import { Icon } from './Icon';
import { Quote } from './MessageBubble';
import type { ThreadMessage } from './model';

/**
 * The message box: Enter sends, Shift+Enter starts a new line. A reply shows the quoted message
 * above the box until it is sent or cancelled.
 */
export function Composer({
  draftKey,
  quoted,
  onCancelQuote,
  onSend,
  notice,
}: {
  /** The chat the draft belongs to: a new chat starts with an empty box. */
  draftKey: string;
  quoted: ThreadMessage | null;
  onCancelQuote: () => void;
  onSend: (text: string) => void;
  /** A line above the box (e.g. the number is not connected, messages will wait). */
  notice?: string | null;
}) {
  const { t } = useI18n();
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const input = useRef<HTMLTextAreaElement>(null);
  const text = drafts[draftKey] ?? '';

  useEffect(() => {
    if (quoted) {
      input.current?.focus();
    }
  }, [quoted]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!text.trim()) {
      return;
    }
    onSend(text);
    setDrafts((d) => ({ ...d, [draftKey]: '' }));
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
    if (event.key === 'Escape' && quoted) {
      onCancelQuote();
    }
  };

  return (
    <form className="inbox-composer" onSubmit={submit} data-testid="composer">
      {notice ? <p className="inbox-composer-notice">{notice}</p> : null}
      {quoted ? (
        <div className="inbox-composer-quote" data-testid="composer-quote">
          <Quote message={quoted} />
          <button
            type="button"
            className="btn btn-ghost inbox-icon-btn"
            onClick={onCancelQuote}
            data-testid="composer-cancel-quote"
            title={t('inbox.composer.cancelReply')}
          >
            <Icon name="close" size={18} />
            <span className="visually-hidden">{t('inbox.composer.cancelReply')}</span>
          </button>
        </div>
      ) : null}
      <div className="inbox-composer-row">
        <textarea
          ref={input}
          className="inbox-composer-input"
          rows={1}
          value={text}
          maxLength={65_536}
          placeholder={t('inbox.composer.placeholder')}
          aria-label={t('inbox.composer.placeholder')}
          onChange={(e) => setDrafts((d) => ({ ...d, [draftKey]: e.target.value }))}
          onKeyDown={onKeyDown}
          data-testid="composer-input"
        />
        <button
          type="submit"
          className="btn btn-primary inbox-send"
          disabled={!text.trim()}
          data-testid="composer-send"
          title={t('inbox.composer.send')}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true" width="20" height="20">
            <path d="M3 20.5l18-8.5L3 3.5l.01 6.6L15 12 3.01 13.9z" fill="currentColor" />
          </svg>
          <span className="visually-hidden">{t('inbox.composer.send')}</span>
        </button>
      </div>
    </form>
  );
}
