import { useEffect, useState } from 'react';

import type { ApiError, Message } from '../api/client';
import { type MessageKey, useI18n } from '../i18n/i18n';
import { useInboxErrorText, useInboxFormat } from './format';
import { Icon, TYPE_ICONS } from './Icon';
import { downloadMedia, loadPicture } from './media';

const TYPE_LABELS: Record<string, MessageKey> = {
  text: 'inbox.type.text',
  image: 'inbox.type.image',
  video: 'inbox.type.video',
  audio: 'inbox.type.audio',
  voice: 'inbox.type.voice',
  document: 'inbox.type.document',
  sticker: 'inbox.type.sticker',
  location: 'inbox.type.location',
  contact: 'inbox.type.contact',
  reaction: 'inbox.type.reaction',
  system: 'inbox.type.system',
  unknown: 'inbox.type.unknown',
};

/** "Photo", "Voice message", … for a message type (any unknown type reads as unsupported). */
export function useTypeLabel(): (type: string) => string {
  const { t } = useI18n();
  return (type) => t(TYPE_LABELS[type] ?? 'inbox.type.unknown');
}

/** A one-line description of a message: its text, or the icon and name of its kind (and caption). */
export function Preview({ message }: { message: { type: string; body: string | null } }) {
  const typeLabel = useTypeLabel();
  const text = message.body?.trim();
  const icon = TYPE_ICONS[message.type];
  if (message.type === 'text' || !icon) {
    return <>{text ?? typeLabel(message.type)}</>;
  }
  return (
    <>
      <Icon name={icon} size={15} /> {text || typeLabel(message.type)}
    </>
  );
}

/** The body of a message bubble: text, picture, file, place or contact. */
export function MessageContent({ message }: { message: Message }) {
  const { t } = useI18n();
  if (message.deletedAt) {
    return (
      <p className="inbox-msg-text inbox-msg-deleted" data-testid="message-deleted">
        <Icon name="ban" size={15} /> {t('inbox.message.deleted')}
      </p>
    );
  }
  const body = message.body?.trim() ? <p className="inbox-msg-text">{message.body}</p> : null;
  switch (message.type) {
    case 'text':
      return body;
    case 'image':
    case 'sticker':
      return (
        <>
          <Picture message={message} />
          {body}
        </>
      );
    case 'video':
    case 'audio':
    case 'voice':
    case 'document':
      return (
        <>
          <FileCard message={message} />
          {body}
        </>
      );
    case 'location':
      return <Place message={message} />;
    case 'contact':
      return <ContactCard message={message} />;
    case 'reaction':
      return (
        <p className="inbox-msg-text inbox-msg-note">
          {t('inbox.message.reacted', { emoji: message.media?.emoji ?? message.body ?? '' })}
        </p>
      );
    default:
      return (
        <>
          <p className="inbox-msg-note">{t(TYPE_LABELS[message.type] ?? 'inbox.type.unknown')}</p>
          {body}
        </>
      );
  }
}

function Picture({ message }: { message: Message }) {
  const { t } = useI18n();
  const errorText = useInboxErrorText();
  const [state, setState] = useState<{ url?: string; error?: ApiError }>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    loadPicture(message.sessionId, message.id).then(
      (url) => {
        if (live) {
          setState({ url });
        }
      },
      (error: ApiError) => {
        if (live) {
          setState({ error });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [message.sessionId, message.id, attempt]);

  const width = message.media?.width ?? 0;
  const height = message.media?.height ?? 0;
  const ratio = width > 0 && height > 0 ? `${width} / ${height}` : '4 / 3';
  const alt =
    message.body?.trim() || t(message.type === 'sticker' ? 'inbox.type.sticker' : 'inbox.type.image');
  return (
    <div
      className="inbox-picture"
      data-kind={message.type}
      style={{ aspectRatio: ratio }}
      data-testid="message-picture"
    >
      {state.url ? (
        <img src={state.url} alt={alt} data-testid="message-image" />
      ) : state.error ? (
        <div className="inbox-picture-fallback" role="alert">
          <span>{errorText(state.error)}</span>
          <button type="button" className="btn btn-ghost" onClick={() => setAttempt((n) => n + 1)}>
            {t('common.retry')}
          </button>
        </div>
      ) : (
        <span className="inbox-picture-fallback muted">{t('common.loading')}</span>
      )}
    </div>
  );
}

function FileCard({ message }: { message: Message }) {
  const { t } = useI18n();
  const format = useInboxFormat();
  const typeLabel = useTypeLabel();
  const errorText = useInboxErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const media = message.media ?? {};
  const extension = media.mimetype?.split(/[/;]/)[1]?.trim() ?? 'bin';
  const fileName = media.fileName ?? `${message.type}-${message.waMessageId}.${extension}`;
  const details = [
    media.duration != null ? format.duration(media.duration) : null,
    media.size != null ? format.size(media.size) : null,
  ].filter(Boolean);

  const save = () => {
    setBusy(true);
    setError(null);
    downloadMedia(message.sessionId, message.id, fileName).then(
      () => setBusy(false),
      (err: ApiError) => {
        setBusy(false);
        setError(err);
      },
    );
  };

  return (
    <div className="inbox-file" data-testid="message-file">
      <span className="inbox-file-icon">
        <Icon name={TYPE_ICONS[message.type] ?? 'file'} />
      </span>
      <span className="inbox-file-text">
        <span className="inbox-file-name">{media.fileName ?? typeLabel(message.type)}</span>
        {details.length > 0 ? <span className="inbox-file-meta">{details.join(' · ')}</span> : null}
        {error ? (
          <span className="inbox-file-meta inbox-error-text" role="alert">
            {errorText(error)}
          </span>
        ) : null}
      </span>
      <button
        type="button"
        className="btn btn-ghost inbox-icon-btn"
        onClick={save}
        disabled={busy}
        data-testid="message-download"
        title={t('inbox.media.download')}
      >
        <Icon name="download" />
        <span className="visually-hidden">{t('inbox.media.download')}</span>
      </button>
    </div>
  );
}

function Place({ message }: { message: Message }) {
  const { t } = useI18n();
  const { latitude, longitude } = message.media ?? {};
  if (latitude == null || longitude == null) {
    return (
      <p className="inbox-msg-note">
        <Icon name="location" size={15} /> {t('inbox.type.location')}
      </p>
    );
  }
  const href = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=16/${latitude}/${longitude}`;
  return (
    <p className="inbox-msg-text">
      <Icon name="location" size={15} />{' '}
      <a href={href} target="_blank" rel="noopener noreferrer">
        {message.body?.trim() || t('inbox.media.openMap')}
      </a>
      <span className="inbox-file-meta">
        {' '}
        {latitude.toFixed(5)}, {longitude.toFixed(5)}
      </span>
    </p>
  );
}

function ContactCard({ message }: { message: Message }) {
  const { t } = useI18n();
  const vcard = message.media?.vcard ?? '';
  const name = /^FN[^:]*:(.*)$/m.exec(vcard)?.[1]?.trim();
  const phone = /^TEL[^:]*:(.*)$/m.exec(vcard)?.[1]?.trim();
  return (
    <div className="inbox-file">
      <span className="inbox-file-icon">
        <Icon name="contact" />
      </span>
      <span className="inbox-file-text">
        <span className="inbox-file-name">{name ?? message.body ?? t('inbox.type.contact')}</span>
        {phone ? <span className="inbox-file-meta">{phone}</span> : null}
      </span>
    </div>
  );
}
