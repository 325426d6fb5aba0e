import { type FormEvent, useState } from 'react';

import { type ApiError, asApiError } from '../api/client';

export interface FormSubmit<Args extends unknown[]> {
  /** For `<form onSubmit>`: keeps the page where it is and sends. */
  onSubmit: (event: FormEvent, ...args: Args) => void;
  /** Sends without a form (a button, a confirmation). Never rejects: a failure is in `error`. */
  run: (...args: Args) => Promise<void>;
  /** From the moment it is sent until the answer (and after a success, with `leavesOnSuccess`). */
  pending: boolean;
  /** Why the last attempt failed; cleared when it is sent again. */
  error: ApiError | null;
  /** The last failure's messages by field name (empty without one). */
  fields: Record<string, string>;
}

/**
 * The state a form goes through when it is sent: pending while the request runs, the error and the
 * per-field messages when it fails, cleared on the next attempt. `send` does the request and
 * whatever follows a success (clearing the form, telling the parent).
 *
 *   const form = useFormSubmit(() => signIn(email, password), { leavesOnSuccess: true });
 *   <form onSubmit={form.onSubmit}>… <button disabled={form.pending}>
 */
export function useFormSubmit<Args extends unknown[] = []>(
  send: (...args: Args) => Promise<unknown>,
  options: {
    /** The messages by field for an error; the server's own (`ApiError.fieldErrors`) by default. */
    fieldErrors?: (error: ApiError) => Record<string, string>;
    /**
     * The form goes away when it succeeds (signed in, a dialog that closes): it stays pending until
     * then, so it cannot be sent twice.
     */
    leavesOnSuccess?: boolean;
  } = {},
): FormSubmit<Args> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = async (...args: Args) => {
    setPending(true);
    setError(null);
    try {
      await send(...args);
    } catch (err) {
      setError(asApiError(err));
      setPending(false);
      return;
    }
    if (!options.leavesOnSuccess) {
      setPending(false);
    }
  };

  const onSubmit = (event: FormEvent, ...args: Args) => {
    event.preventDefault();
    void run(...args);
  };

  const fieldErrors = options.fieldErrors ?? ((e: ApiError) => e.fieldErrors());
  return { onSubmit, run, pending, error, fields: error ? fieldErrors(error) : {} };
}

/** The props that tie a `Field` to one of a form's values and to the server's message for it. */
export function fieldBinder<Values extends Record<string, string>>(
  values: Values,
  setValues: (update: (current: Values) => Values) => void,
  fields: Partial<Record<string, string>>,
) {
  return (name: keyof Values & string) => ({
    name,
    value: values[name],
    error: fields[name],
    onChange: (e: { target: { value: string } }) =>
      setValues((current) => ({ ...current, [name]: e.target.value })),
  });
}
