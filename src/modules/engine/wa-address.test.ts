import { describe, expect, it } from 'vitest';

import { parseWaAddress } from './wa-address.js';

describe('parseWaAddress', () => {
  it.each([
    ['79991234567@c.us', { kind: 'person', waChatId: '79991234567@c.us', phoneNumber: '79991234567' }],
    [
      '79991234567@s.whatsapp.net',
      { kind: 'person', waChatId: '79991234567@c.us', phoneNumber: '79991234567' },
    ],
    [
      '79991234567:12@s.whatsapp.net',
      { kind: 'person', waChatId: '79991234567@c.us', phoneNumber: '79991234567' },
    ],
    ['79991234567', { kind: 'person', waChatId: '79991234567@c.us', phoneNumber: '79991234567' }],
    ['+7 (999) 123-45-67', { kind: 'person', waChatId: '79991234567@c.us', phoneNumber: '79991234567' }],
    ['120363025246125486@g.us', { kind: 'group', waChatId: '120363025246125486@g.us' }],
    ['79991234567-1600000000@g.us', { kind: 'group', waChatId: '79991234567-1600000000@g.us' }],
    ['123456789012345@lid', { kind: 'lid', lid: '123456789012345@lid' }],
    ['123456789012345:3@lid', { kind: 'lid', lid: '123456789012345@lid' }],
  ])('reads %s', (input, expected) => {
    expect(parseWaAddress(input)).toEqual(expected);
  });

  it.each([
    '',
    'abc',
    '123',
    '+',
    '7999123456789012345',
    'status@broadcast',
    '1234@newsletter',
    'x@c.us',
    '79991234567@c.us; drop',
  ])('refuses %j', (input) => {
    expect(parseWaAddress(input)).toBeNull();
  });
});
