import { LANGS, useI18n } from './i18n';

/** EN | RU buttons; the choice is remembered in this browser. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="lang-switch" role="group" aria-label={t('language.label')} data-testid="language-switch">
      {LANGS.map((code) => (
        <button
          key={code}
          type="button"
          className="lang-option"
          aria-pressed={lang === code}
          data-testid={`lang-${code}`}
          onClick={() => setLang(code)}
        >
          {code.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
