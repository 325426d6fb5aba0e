import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Responses are written by fast-json-stringify, compiled once per route from the JSON Schema of the
 * route's Zod response schema: only the declared properties leave the server, as with Zod, at a
 * fraction of the cost of encoding every response through Zod (a page of 50 messages spent about a
 * quarter of its server time there). A schema JSON Schema cannot express (a transform, say) keeps
 * the Zod serializer.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  let stringify: (data: unknown) => string;
  try {
    const jsonSchema = z.toJSONSchema(route.schema, {
      target: 'draft-07',
      io: 'output',
      unrepresentable: 'throw',
      reused: 'inline',
    });
    stringify = fastJson(openObjects(jsonSchema) as Parameters<typeof fastJson>[0]);
  } catch {
    return zodSerializerCompiler(route);
  }
  return (data) => stringify(data);
};

/**
 * Drops `additionalProperties: false`: fast-json-stringify writes only declared properties anyway,
 * but it picks the branch of a union (a nullable object) by validating the value, and a value with
 * an undeclared property would then match no branch. Undeclared properties are left out, as Zod does.
 */
function openObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(openObjects);
  }
  if (schema === null || typeof schema !== 'object') {
    return schema;
  }
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'additionalProperties' && value === false))
      .map(([key, value]) => [key, openObjects(value)]),
  );
}
