import { type FormEvent, useState } from 'react';

import { api, type ApiError, asApiError, unwrap, type User } from '../api/client';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n';
import { upsertById } from '../shared/lists';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { fieldBinder, useFormSubmit } from '../ui/form';
import { useFieldErrors } from './field-errors';
import { loadAllManagers } from './managers-api';
import { ConfirmDialog, Modal } from './Modal';
import { PageHeader } from './PageHeader';
import { TableCard } from './TableCard';

const EMPTY = { name: '', email: '', password: '' };
type Form = typeof EMPTY;
type ManagerChanges = Partial<Form>;

/**
 * The company's managers: add one (name, email, password), edit a name, an email or reset the
 * password, deactivate (their tokens and sockets stop at once) and reactivate.
 */
export function ManagersPage() {
  const { t, formatDateTime } = useI18n();
  const managers = useApi((signal) => loadAllManagers(signal), []);
  const { data, setData } = managers;
  const [editing, setEditing] = useState<User | null>(null);
  const [deactivating, setDeactivating] = useState<User | null>(null);
  const [rowError, setRowError] = useState<{ id: string; error: ApiError } | null>(null);

  const replace = (user: User) => setData((list) => upsertById(list, user));

  const reactivate = async (manager: User) => {
    setRowError(null);
    try {
      replace(
        await unwrap(
          api.PATCH('/api/managers/{managerId}', {
            params: { path: { managerId: manager.id } },
            body: { active: true },
          }),
        ),
      );
    } catch (err) {
      setRowError({ id: manager.id, error: asApiError(err) });
    }
  };

  const deactivate = async (manager: User) => {
    replace(
      await unwrap(api.DELETE('/api/managers/{managerId}', { params: { path: { managerId: manager.id } } })),
    );
  };

  return (
    <section className="page managers-page" data-testid="page-managers">
      <PageHeader title={t('nav.managers')} lead={t('managers.lead')} />

      <CreateManager onCreated={replace} />

      {managers.error ? <ErrorBanner error={managers.error} onRetry={managers.reload} /> : null}
      {!data && managers.loading ? <p className="empty">{t('common.loading')}</p> : null}
      {data && data.length === 0 ? (
        <p className="empty" data-testid="managers-empty">
          {t('managers.empty')}
        </p>
      ) : null}
      {data && data.length > 0 ? (
        <TableCard
          cardClassName="admin-table-card"
          tableClassName="admin-table"
          testId="managers-table"
          head={
            <>
              <th scope="col">{t('managers.col.name')}</th>
              <th scope="col">{t('managers.col.email')}</th>
              <th scope="col">{t('managers.col.status')}</th>
              <th scope="col">{t('managers.col.created')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('managers.col.actions')}</span>
              </th>
            </>
          }
        >
          {data.map((manager) => (
            <tr
              key={manager.id}
              data-testid="manager-row"
              data-manager-id={manager.id}
              data-active={manager.active}
              className={manager.active ? undefined : 'managers-inactive'}
            >
              <td data-label={t('managers.col.name')} className="managers-name" data-testid="manager-name">
                {manager.name}
              </td>
              <td
                data-label={t('managers.col.email')}
                className="admin-break managers-email"
                data-testid="manager-email"
              >
                {manager.email}
              </td>
              <td data-label={t('managers.col.status')} className="managers-status-cell">
                <span
                  className="badge managers-status"
                  data-active={manager.active}
                  data-testid="manager-status"
                >
                  {t(manager.active ? 'managers.status.active' : 'managers.status.inactive')}
                </span>
              </td>
              <td data-label={t('managers.col.created')} className="admin-nowrap managers-created">
                {formatDateTime(manager.createdAt)}
              </td>
              <td className="admin-row-actions">
                <button
                  type="button"
                  className="btn"
                  onClick={() => setEditing(manager)}
                  data-testid="manager-edit"
                >
                  {t('managers.action.edit')}
                </button>
                {manager.active ? (
                  <button
                    type="button"
                    className="btn btn-danger"
                    onClick={() => setDeactivating(manager)}
                    data-testid="manager-deactivate"
                  >
                    {t('managers.action.deactivate')}
                  </button>
                ) : (
                  <button
                    type="button"
                    className="btn"
                    onClick={() => void reactivate(manager)}
                    data-testid="manager-reactivate"
                  >
                    {t('managers.action.reactivate')}
                  </button>
                )}
                {rowError?.id === manager.id ? <ErrorBanner error={rowError.error} /> : null}
              </td>
            </tr>
          ))}
        </TableCard>
      ) : null}

      {editing ? <EditManager manager={editing} onSaved={replace} onClose={() => setEditing(null)} /> : null}
      {deactivating ? (
        <ConfirmDialog
          title={t('managers.confirmDeactivate.title', { name: deactivating.name })}
          message={t('managers.confirmDeactivate.body')}
          confirmLabel={t('managers.action.deactivate')}
          onConfirm={() => deactivate(deactivating)}
          onClose={() => setDeactivating(null)}
        />
      ) : null}
    </section>
  );
}

/** The add form: stays filled in on an error, with the problems under their fields. */
function CreateManager({ onCreated }: { onCreated: (user: User) => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Form>(EMPTY);
  const [added, setAdded] = useState<string | null>(null);
  const form = useFormSubmit(
    async () => {
      setAdded(null);
      const user = await unwrap(api.POST('/api/managers', { body: values }));
      setValues(EMPTY);
      setAdded(user.name);
      onCreated(user);
    },
    { fieldErrors: useFieldErrors() },
  );
  const { error, fields } = form;
  const bind = fieldBinder(values, setValues, fields);
  const unexplained = error && Object.keys(fields).length === 0;
  return (
    <form
      className="card managers-create"
      onSubmit={form.onSubmit}
      noValidate
      data-testid="manager-create-form"
    >
      <h2 className="admin-card-title">{t('managers.create.title')}</h2>
      <div className="managers-create-fields">
        <ManagerFields
          bind={bind}
          passwordLabel={t('managers.field.password')}
          passwordHint={t('auth.field.passwordHint')}
          passwordRequired
        />
      </div>
      {unexplained ? <ErrorBanner error={error} /> : null}
      <div className="managers-create-actions">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={form.pending}
          data-testid="manager-create-submit"
        >
          {t('managers.create.submit')}
        </button>
        {added ? (
          <span className="managers-added" role="status" data-testid="manager-created">
            {t('managers.create.done', { name: added })}
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** Edit a manager: only the fields that changed are sent; a blank password keeps the current one. */
function EditManager({
  manager,
  onSaved,
  onClose,
}: {
  manager: User;
  onSaved: (user: User) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<Form>({
    name: manager.name,
    email: manager.email ?? '',
    password: '',
  });
  const save = useFormSubmit(
    async (body: ManagerChanges) => {
      const user = await unwrap(
        api.PATCH('/api/managers/{managerId}', { params: { path: { managerId: manager.id } }, body }),
      );
      onSaved(user);
      onClose();
    },
    { fieldErrors: useFieldErrors(), leavesOnSuccess: true },
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      ...(values.name.trim() !== manager.name ? { name: values.name } : {}),
      ...(values.email.trim().toLowerCase() !== (manager.email ?? '') ? { email: values.email } : {}),
      ...(values.password !== '' ? { password: values.password } : {}),
    };
    if (Object.keys(body).length === 0) {
      onClose();
      return;
    }
    void save.run(body);
  };

  const { error, fields } = save;
  const bind = fieldBinder(values, setValues, fields);
  const unexplained = error && Object.keys(fields).length === 0;
  return (
    <Modal
      title={t('managers.edit.title', { name: manager.name })}
      onClose={onClose}
      testId="manager-edit-dialog"
    >
      <form className="form" onSubmit={submit} noValidate data-testid="manager-edit-form">
        <ManagerFields
          bind={bind}
          passwordLabel={t('managers.field.newPassword')}
          passwordHint={t('managers.edit.passwordHint')}
        />
        {unexplained ? <ErrorBanner error={error} /> : null}
        <div className="admin-dialog-actions">
          <button type="button" className="btn" onClick={onClose} data-testid="manager-edit-cancel">
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={save.pending}
            data-testid="manager-edit-submit"
          >
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Name, email and password: what the add form and the edit dialog ask for. */
function ManagerFields({
  bind,
  passwordLabel,
  passwordHint,
  passwordRequired,
}: {
  bind: ReturnType<typeof fieldBinder<Form>>;
  passwordLabel: string;
  passwordHint: string;
  /** A new manager needs one; an edit keeps the current one when it is left blank. */
  passwordRequired?: boolean;
}) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t('managers.field.name')} autoComplete="off" required {...bind('name')} />
      <Field label={t('managers.field.email')} type="email" autoComplete="off" required {...bind('email')} />
      <Field
        label={passwordLabel}
        type="password"
        autoComplete="new-password"
        hint={passwordHint}
        required={passwordRequired}
        {...bind('password')}
      />
    </>
  );
}
