import type { ReactNode } from 'react';

import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../i18n/LanguageSwitch';

/** The frame of the signed-out pages: the product name, the language switch, one card. */
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="auth-page">
      <header className="auth-top">
        <span className="brand">{t('app.title')}</span>
        <LanguageSwitch />
      </header>
      <main className="auth-card card">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
