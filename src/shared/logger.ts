import { type LoggerOptions, stdSerializers } from 'pino';

/**
 * A failed query's error carries its parameters (Drizzle puts them in the message): passwords'
 * hashes, message text. Only the SQL and the driver's own code and message are logged.
 */
export function serializeError(err: unknown) {
  if (err instanceof Error && 'query' in err && 'params' in err) {
    const cause = err.cause as { code?: unknown; message?: unknown; constraint?: unknown } | undefined;
    return {
      type: err.name,
      message: 'Failed query',
      query: String((err as { query: unknown }).query),
      cause: cause ? { code: cause.code, message: cause.message, constraint: cause.constraint } : undefined,
    };
  }
  return err instanceof Error ? stdSerializers.err(err) : err;
}

/** Query parameters whose value is a credential: never logged. Compared in lower case. */
const SENSITIVE_QUERY_PARAMETERS = new Set([
  'token',
  'access_token',
  'api_key',
  'apikey',
  'key',
  'password',
  'secret',
  'signature',
]);

function parameterName(raw: string): string {
  let name = raw.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // Malformed escapes: compare the name as sent.
  }
  // `token[]=…` and `token[0]=…` are still the token.
  return name
    .replace(/\[[^\]]*\]$/, '')
    .trim()
    .toLowerCase();
}

/**
 * A URL as it may be logged: the value of each credential-bearing query parameter (`token`,
 * `access_token`, `api_key`, `apikey`, `key`, `password`, `secret`, `signature`, in any case, even
 * percent-encoded) replaced by `[redacted]`; everything else as sent.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) {
    return url;
  }
  const hash = url.indexOf('#', start);
  const end = hash === -1 ? url.length : hash;
  const query = url
    .slice(start + 1, end)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq === -1 || !SENSITIVE_QUERY_PARAMETERS.has(parameterName(part.slice(0, eq)))) {
        return part;
      }
      return `${part.slice(0, eq)}=[redacted]`;
    })
    .join('&');
  return `${url.slice(0, start)}?${query}${url.slice(end)}`;
}

/** What Fastify logs of a request (its own serializer's fields), with the URL's credentials redacted. */
export function serializeRequest(req: {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  host?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number } | null;
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

/**
 * Pino options for the server. Credentials are redacted wherever they might appear (headers,
 * fields, a logged request's query string); message bodies are logged only at debug level by the
 * code that handles them.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    // Fastify's own `req` serializer gives way to this one (the instance's serializers win).
    serializers: { err: serializeError, req: serializeRequest },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.passwordHash',
        '*.token',
        '*.jwtSecret',
        '*.encryptionKey',
        '*.secret',
        '*.qr',
        '*.qrCode',
      ],
      censor: '[redacted]',
    },
  };
}
