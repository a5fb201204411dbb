// Tools shared by the protocol and case tests: a strict sensitive tool, a plain one, and one that takes anything.
import type { ToolSpec } from '../../src/core/types';

export const TOOLS: ToolSpec[] = [
  {
    name: 'send_money',
    description: 'Send money to an account.',
    parameters: {
      type: 'object',
      properties: {
        to: { type: 'string' },
        amount: { type: 'number', minimum: 0 },
        currency: { enum: ['usd', 'eur'] },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['to', 'amount'],
      additionalProperties: false,
    },
    sensitive: true,
  },
  {
    name: 'read_file',
    description: 'Read a file by name.',
    parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    sensitive: false,
  },
  { name: 'any_args', description: 'Takes anything.', parameters: { type: 'object' }, sensitive: false },
];
