import { type FormEvent, useState } from 'react';

import type { ApiError } from '../api/client';
import { asApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { registerCompany } from './auth';
import { AuthLayout } from './AuthLayout';

const EMPTY = { companyName: '', name: '', email: '', password: '' };

export function RegisterPage() {
  const { t } = useI18n();
  const [values, setValues] = useState(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const bind = (name: keyof typeof EMPTY) => ({
    name,
    value: values[name],
    error: fields[name],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value })),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await registerCompany(values);
    } catch (err) {
      const apiError = asApiError(err);
      setError(apiError);
      setFields(apiError.fieldErrors());
      setBusy(false);
    }
  };

  return (
    <AuthLayout title={t('auth.register.title')}>
      <form className="form" data-testid="register-form" onSubmit={(e) => void submit(e)} noValidate>
        {error ? <ErrorBanner error={error} /> : null}
        <Field
          label={t('auth.field.companyName')}
          autoComplete="organization"
          required
          {...bind('companyName')}
        />
        <Field label={t('auth.field.name')} autoComplete="name" required {...bind('name')} />
        <Field label={t('auth.field.email')} type="email" autoComplete="email" required {...bind('email')} />
        <Field
          label={t('auth.field.password')}
          type="password"
          autoComplete="new-password"
          hint={t('auth.field.passwordHint')}
          required
          {...bind('password')}
        />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="register-submit">
          {t('auth.register.submit')}
        </button>
      </form>
      <p className="auth-alt">
        {t('auth.register.haveAccount')}{' '}
        <Link to="/sign-in" data-testid="to-sign-in">
          {t('auth.register.toSignIn')}
        </Link>
      </p>
    </AuthLayout>
  );
}
