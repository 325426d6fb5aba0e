import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';

import { en } from './en';
import { ru } from './ru';

export type Lang = 'en' | 'ru';
export type MessageKey = keyof typeof en;
/** Keys with plural forms (`x_one`, `x_few`, `x_many`, `x_other`), by their base `x`. */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer B}_other` ? B : never) : never;
export type Params = Record<string, string | number>;

export const LANGS: readonly Lang[] = ['en', 'ru'];
const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { en, ru };
const STORAGE_KEY = 'wa-console.lang';

/** The stored choice, else the browser's language (ru for any ru-*), else English. */
export function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'ru') {
    return stored;
  }
  const preferred = navigator.languages.length > 0 ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'en') {
      return base;
    }
  }
  return 'en';
}

function interpolate(text: string, params?: Params): string {
  if (!params) {
    return text;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  /** The text of `key` in the current language, `{name}` placeholders filled from `params`. */
  t: (key: MessageKey, params?: Params) => string;
  /** A plural text: picks `base_one|_few|_many|_other` for `count` by the language's rules; `{count}` is set. */
  tn: (base: PluralKey, count: number, params?: Params) => string;
  /** Whether a key exists; for texts looked up by a server value (error codes, statuses). */
  has: (key: string) => key is MessageKey;
  formatDateTime: (iso: string | Date) => string;
  formatNumber: (value: number) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLangState(next);
  }, []);

  const value = useMemo<I18n>(() => {
    const dict = DICTIONARIES[lang];
    const plural = new Intl.PluralRules(lang);
    const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    const number = new Intl.NumberFormat(lang);
    const t = (key: MessageKey, params?: Params) => interpolate(dict[key], params);
    const has = (key: string): key is MessageKey => key in dict;
    return {
      lang,
      setLang,
      t,
      has,
      tn: (base, count, params) => {
        const stem: string = base;
        const exact = `${stem}_${plural.select(count)}`;
        const key = has(exact) ? exact : (`${stem}_other` as MessageKey);
        return t(key, { count: number.format(count), ...params });
      },
      formatDateTime: (iso) => dateTime.format(typeof iso === 'string' ? new Date(iso) : iso),
      formatNumber: (v) => number.format(v),
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) {
    throw new Error('useI18n outside <I18nProvider>');
  }
  return value;
}
