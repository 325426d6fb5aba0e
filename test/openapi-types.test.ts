import { readFileSync } from 'node:fs';

import { expect, it } from 'vitest';

import { generateApiTypes, SCHEMA_FILE } from '../scripts/openapi.js';

it('web/src/api/schema.d.ts matches the OpenAPI document', async () => {
  const expected = await generateApiTypes();
  const actual = readFileSync(SCHEMA_FILE, 'utf8');
  if (actual !== expected) {
    expect.fail(
      'web/src/api/schema.d.ts is out of date with the API: run `npm run gen:api` and commit the result ' +
        '(then fix any web/ type errors `npm run typecheck` reports).',
    );
  }
});
