import { describe, expect, it } from 'vitest';

import { redactUrl } from './logger.js';

describe('redactUrl', () => {
  it.each([
    ['/api/health', '/api/health'],
    ['/api/health?page=2', '/api/health?page=2'],
    ['/x?token=abc', '/x?token=[redacted]'],
    ['/x?a=1&TOKEN=abc&b=2', '/x?a=1&TOKEN=[redacted]&b=2'],
    ['/x?token[]=a&token[]=b', '/x?token[]=[redacted]&token[]=[redacted]'],
    ['/x?%41PI_KEY=abc', '/x?%41PI_KEY=[redacted]'],
    ['/x?signature=abc#frag', '/x?signature=[redacted]#frag'],
    ['/x?token=&keys=kept&monkey=kept', '/x?token=[redacted]&keys=kept&monkey=kept'],
    ['/x?%E0%A4%A=1&secret=s', '/x?%E0%A4%A=1&secret=[redacted]'],
  ])('logs %s as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
