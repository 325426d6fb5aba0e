import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

import { driverErrorCode, isTransientDbError, sqlState } from '../db/errors.js';
import { fail } from './envelope.js';
import { AppError, RETRY_AFTER_SECONDS } from './errors.js';

export interface FieldProblem {
  field: string;
  in: string;
  message: string;
}

/** Turns Zod validation issues into the `details` a client can act on: which field, what is wrong. */
function validationDetails(error: FastifyError): FieldProblem[] {
  const location = error.validationContext ?? 'body';
  if (!hasZodFastifySchemaValidationErrors(error)) {
    return (error.validation ?? []).map((v) => ({
      field: v.instancePath.replace(/^\//, '').replaceAll('/', '.') || location,
      in: location,
      message: v.message ?? 'is invalid',
    }));
  }
  return error.validation.flatMap((v) => {
    const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] }).keys : undefined;
    if (keys) {
      return keys.map((key) => ({
        field: field ? `${field}.${key}` : key,
        in: location,
        message: 'is not an accepted field',
      }));
    }
    return [{ field: field || location, in: location, message: v.message ?? 'is invalid' }];
  });
}

/** Fastify's own client errors (bad JSON, too large, wrong content type) keep their status. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'BAD_REQUEST',
};

/** Codes for other 4xx errors Fastify or a plugin raises (a static file outside its root: 403). */
const CLIENT_STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * A database outage fails every request at once: one warning line per interval says so, with how
 * many requests it turned away, instead of a stack trace per request.
 */
function outageReporter(intervalMs = 5_000) {
  let lastAt = 0;
  let turnedAway = 0;
  return (request: FastifyRequest, error: unknown) => {
    turnedAway += 1;
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      return;
    }
    request.log.warn(
      { code: driverErrorCode(error), turnedAway },
      'database unavailable: requests answered 503 with Retry-After',
    );
    lastAt = now;
    turnedAway = 0;
  };
}

/** PostgreSQL's "data exception" class (22xxx): invalid text, dates or numbers out of range. */
function isDataError(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

function send(
  reply: FastifyReply,
  status: number,
  body: ReturnType<typeof fail>,
  headers?: Record<string, string>,
) {
  if (headers) {
    void reply.headers(headers);
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function errorHandlerPlugin(app: FastifyInstance, _opts: unknown, done: () => void) {
  const reportOutage = outageReporter();
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      if (error.status === 503) {
        // Expected while a dependency is away (a session reconnecting): a line, not a stack.
        request.log.warn({ code: error.code }, error.message);
      } else if (error.status >= 500) {
        request.log.error({ err: error }, error.message);
      }
      return send(
        reply,
        error.status,
        fail(error.code, error.message, error.details, request.id),
        error.headers,
      );
    }
    if (error.validation) {
      return send(
        reply,
        400,
        fail('VALIDATION_ERROR', 'The request is invalid', validationDetails(error), request.id),
      );
    }
    const clientCode = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (clientCode && error.statusCode && error.statusCode < 500) {
      return send(reply, error.statusCode, fail(clientCode, error.message, undefined, request.id));
    }
    if (isTransientDbError(error)) {
      reportOutage(request, error);
      return send(
        reply,
        503,
        fail(
          'DATABASE_UNAVAILABLE',
          'The database is unavailable for a moment; try again shortly',
          undefined,
          request.id,
        ),
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    if (isDataError(error)) {
      // A value PostgreSQL refuses to store or compare (bad encoding, out of range): the client's
      // input, which validation should have caught; answered as such, and logged to be fixed.
      request.log.warn(
        { code: (error.cause as { code?: string } | undefined)?.code },
        'input refused by the database',
      );
      return send(
        reply,
        400,
        fail('BAD_REQUEST', 'The request contains a value that cannot be stored', undefined, request.id),
      );
    }
    if (error.statusCode === 429) {
      // @fastify/rate-limit; it has already set Retry-After.
      return send(
        reply,
        429,
        fail('RATE_LIMITED', 'Too many requests, try again later', undefined, request.id),
      );
    }
    const status = error.statusCode;
    const statusCode = status !== undefined ? CLIENT_STATUS_CODES[status] : undefined;
    if (status !== undefined && statusCode) {
      // Raised by Fastify or a plugin for what the client asked (a path outside a static root):
      // the status stands, in the one envelope, with a message of ours.
      return send(reply, status, fail(statusCode, 'The request cannot be served', undefined, request.id));
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response does not match its schema');
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    return send(
      reply,
      500,
      fail('INTERNAL_ERROR', 'Something went wrong on our side', undefined, request.id),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      404,
      fail(
        'NOT_FOUND',
        `Route ${request.method} ${request.url.split('?')[0]} not found`,
        undefined,
        request.id,
      ),
    ),
  );
  done();
}

export const errorHandler = fp(errorHandlerPlugin, { name: 'error-handler' });
