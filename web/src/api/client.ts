/**
 * The typed HTTP client. `api` is openapi-fetch over the generated `paths` (schema.d.ts, from the
 * service's OpenAPI document), so paths, parameters and bodies are checked against the server.
 * Call it through `unwrap` / `unwrapPage`, which return the envelope's `data` (and `pagination`)
 * and throw `ApiError` for an error envelope or a network failure:
 *
 *   const me = await unwrap(api.GET('/api/auth/me'));
 *   const { items, pagination } = await unwrapPage(api.GET('/api/managers', { params: { query: { page: 2 } } }));
 */
import createClient, { type Middleware } from 'openapi-fetch';

import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type User = Schemas['User'];
/** Who a user is in the company: an admin, or a manager working the sessions they were given. */
export type Role = User['role'];
export type Company = Schemas['Company'];
export type Session = Schemas['Session'];
export type Chat = Schemas['Chat'];
export type Message = Schemas['Message'];

export interface Pagination {
  page: number;
  limit: number;
  total: number | null;
  hasMore: boolean;
  nextCursor: string | null;
}

/** One field's problem, as the service reports validation errors (`field` is e.g. `email`). */
export interface FieldIssue {
  field: string;
  in?: string;
  message: string;
}

/** An error envelope (`status` 0 and code `NETWORK_ERROR` when the service could not be reached). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = undefined,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Validation problems by field name (the first message per field). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!Array.isArray(this.details)) {
      return out;
    }
    for (const issue of this.details as Partial<FieldIssue>[]) {
      if (typeof issue.field === 'string' && typeof issue.message === 'string' && !(issue.field in out)) {
        out[issue.field] = issue.message;
      }
    }
    return out;
  }
}

/** Whatever a call threw, as an ApiError (a thrown non-API error becomes code UNKNOWN). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', String(err));
}

// --- Token and sign-out hooks, set by the auth provider ------------------------------------------

let currentToken: () => string | null = () => null;
let onUnauthorized: () => void = () => {};

/** Wires the client to the auth state: where the bearer token comes from, and what a 401 does. */
export function configureApiAuth(options: { token: () => string | null; onUnauthorized: () => void }) {
  currentToken = options.token;
  onUnauthorized = options.onUnauthorized;
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = currentToken();
    if (token && !request.headers.has('authorization')) {
      request.headers.set('authorization', `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    // A 401 to a request that carried our token means the token is dead (expired, user
    // deactivated): sign out. A failed login carries none and is the form's business.
    if (response.status === 401 && request.headers.has('authorization')) {
      onUnauthorized();
    }
    return response;
  },
};

/** Same origin: the paths already start with /api. */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authMiddleware);

// --- Envelope unwrapping --------------------------------------------------------------------------

interface Answer<Body> {
  data?: Body;
  error?: unknown;
  response: Response;
}

function toApiError(response: Response, error: unknown): ApiError {
  const requestId = response.headers.get('x-request-id');
  if (error && typeof error === 'object' && 'error' in error) {
    const e = (error as { error: { code?: unknown; message?: unknown; details?: unknown } }).error;
    return new ApiError(
      response.status,
      typeof e.code === 'string' ? e.code : 'UNKNOWN',
      typeof e.message === 'string' ? e.message : response.statusText,
      e.details,
      requestId,
    );
  }
  return new ApiError(
    response.status,
    'UNKNOWN',
    response.statusText || 'Request failed',
    undefined,
    requestId,
  );
}

async function settle<Body>(request: Promise<Answer<Body>>): Promise<Body> {
  let answer: Answer<Body>;
  try {
    answer = await request;
  } catch (err) {
    // fetch rejects only when no answer came (offline, refused, aborted).
    if (err instanceof DOMException && err.name === 'AbortError') {
      throw err;
    }
    throw new ApiError(0, 'NETWORK_ERROR', err instanceof Error ? err.message : String(err));
  }
  if (!answer.response.ok || answer.data === undefined) {
    throw toApiError(answer.response, answer.error);
  }
  return answer.data;
}

/** The `data` of a success envelope; throws `ApiError` otherwise. */
export async function unwrap<D>(request: Promise<Answer<{ data: D }>>): Promise<D> {
  return (await settle(request)).data;
}

/** The items and pagination of a list envelope; throws `ApiError` otherwise. */
export async function unwrapPage<D>(
  request: Promise<Answer<{ data: D[]; pagination: Pagination }>>,
): Promise<{ items: D[]; pagination: Pagination }> {
  const body = await settle(request);
  return { items: body.data, pagination: body.pagination };
}
