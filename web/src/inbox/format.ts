import { useMemo } from 'react';

import type { ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { useErrorText } from '../ui/ErrorBanner';

export interface InboxFormat {
  /** 14:05 */
  time: (iso: string) => string;
  /** The chat list's stamp: a time today, a weekday this week, else a short date. */
  listStamp: (iso: string) => string;
  /** A day separator in the thread: Today, Yesterday, or the date. */
  day: (iso: string) => string;
  /** A calendar day key (local time), to group messages. */
  dayKey: (iso: string) => string;
  /** 1.2 MB */
  size: (bytes: number) => string;
  /** 0:07 */
  duration: (seconds: number) => string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Dates, times and sizes in the current language. */
export function useInboxFormat(): InboxFormat {
  const { lang, t } = useI18n();
  return useMemo(() => {
    const time = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
    const weekday = new Intl.DateTimeFormat(lang, { weekday: 'short' });
    const short = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' });
    const shortYear = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', year: 'numeric' });
    const long = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric' });
    const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    const daysAgo = (date: Date) => Math.round((startOfDay(new Date()) - startOfDay(date)) / DAY_MS);
    return {
      time: (iso) => time.format(new Date(iso)),
      listStamp: (iso) => {
        const date = new Date(iso);
        const ago = daysAgo(date);
        if (ago <= 0) {
          return time.format(date);
        }
        if (ago < 7) {
          return weekday.format(date);
        }
        return (date.getFullYear() === new Date().getFullYear() ? short : shortYear).format(date);
      },
      day: (iso) => {
        const date = new Date(iso);
        const ago = daysAgo(date);
        if (ago === 0) {
          return t('inbox.day.today');
        }
        if (ago === 1) {
          return t('inbox.day.yesterday');
        }
        return long.format(date);
      },
      dayKey: (iso) => {
        const date = new Date(iso);
        return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
      },
      size: (bytes) => {
        if (bytes < 1024) {
          return t('inbox.size.bytes', { n: number.format(bytes) });
        }
        if (bytes < 1024 * 1024) {
          return t('inbox.size.kb', { n: number.format(bytes / 1024) });
        }
        return t('inbox.size.mb', { n: number.format(bytes / 1024 / 1024) });
      },
      duration: (seconds) => {
        const s = Math.max(0, Math.round(seconds));
        return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      },
    };
  }, [lang, t]);
}

/** An API error as text: the inbox's own wording for its codes, else the console's. */
export function useInboxErrorText(): (error: ApiError) => string {
  const { t, has } = useI18n();
  const general = useErrorText();
  return (error) => {
    const key = `inbox.error.${error.code}`;
    return has(key) ? t(key) : general(error);
  };
}
