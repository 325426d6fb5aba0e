import { z } from 'zod';

/** The contract's envelopes, built here and nowhere else. */

export interface Pagination {
  page: number;
  limit: number;
  /** Null where counting would be slow (cursor walks over large tables). */
  total: number | null;
  hasMore: boolean;
  nextCursor: string | null;
}

export function ok<T>(data: T) {
  return { success: true as const, data };
}

export function page<T>(items: T[], pagination: Pagination) {
  return { success: true as const, data: items, pagination };
}

export function fail(code: string, message: string, details?: unknown, requestId?: string) {
  return {
    success: false as const,
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details }),
      ...(requestId ? { requestId } : {}),
    },
  };
}

export const PaginationSchema = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().nullable(),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});

export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data });
}

export function pageEnvelope<T extends z.ZodType>(item: T) {
  return z.object({ success: z.literal(true), data: z.array(item), pagination: PaginationSchema });
}

export const ErrorEnvelope = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string().meta({ example: 'VALIDATION_ERROR' }),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Response schemas for the errors a route documents, e.g. `errors(400, 401, 404)`. */
export function errors<S extends number>(...statuses: S[]): Record<S, typeof ErrorEnvelope> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorEnvelope])) as Record<S, typeof ErrorEnvelope>;
}
