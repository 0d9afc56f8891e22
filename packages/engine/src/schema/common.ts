import { OPS } from '../conditions.js';

/** Pieces of the step schemas. Every schema is self-contained (its own $defs) so ruleTypes can serve it alone. */
export const sheetName = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const columnName = { type: 'string', minLength: 1, maxLength: 1000 } as const;
export const columnList = { type: 'array', items: columnName, minItems: 1, uniqueItems: true } as const;

export const sheetParams = {
  sheet: { ...sheetName, description: "The sheet to read (default: the input's first sheet)." },
  into: { ...sheetName, description: 'The sheet to write (default: the sheet read).' },
} as const;

const scalar = { type: ['string', 'number', 'boolean', 'null'] } as const;

/**
 * A condition tree. if/then/else on the node's key (all, any, not, expression, else a leaf) rather than
 * oneOf, so a mistake deep in the tree is reported at its own path, not as "matches no branch".
 */
export const conditionDefs = {
  condition: {
    type: 'object',
    if: { required: ['all'] },
    then: { properties: { all: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' } } }, additionalProperties: false },
    else: {
      if: { required: ['any'] },
      then: { properties: { any: { type: 'array', minItems: 1, items: { $ref: '#/$defs/condition' } } }, additionalProperties: false },
      else: {
        if: { required: ['not'] },
        then: { properties: { not: { $ref: '#/$defs/condition' } }, additionalProperties: false },
        else: {
          if: { required: ['expression'] },
          then: { properties: { expression: { type: 'string', minLength: 1, maxLength: 4000 } }, additionalProperties: false },
          else: { $ref: '#/$defs/leaf' },
        },
      },
    },
  },
  leaf: {
    type: 'object',
    required: ['column', 'op'],
    additionalProperties: false,
    properties: {
      column: columnName,
      op: { enum: [...OPS] },
      value: {},
      caseInsensitive: { type: 'boolean' },
      type: { enum: ['number', 'text', 'date', 'boolean'] },
    },
    allOf: [
      { if: { properties: { op: { const: 'between' } }, required: ['op'] }, then: { required: ['value'], properties: { value: { type: 'array', minItems: 2, maxItems: 2, items: scalar } } } },
      { if: { properties: { op: { enum: ['in', 'not_in'] } }, required: ['op'] }, then: { required: ['value'], properties: { value: { type: 'array', minItems: 1, maxItems: 10000, items: scalar } } } },
      { if: { properties: { op: { enum: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'starts_with', 'ends_with'] } }, required: ['op'] }, then: { required: ['value'], properties: { value: scalar } } },
      { if: { properties: { op: { const: 'matches' } }, required: ['op'] }, then: { required: ['value'], properties: { value: { type: 'string', minLength: 1, maxLength: 1000 } } } },
    ],
  },
} as const;

export const conditionRef = { $ref: '#/$defs/condition' } as const;

export function objectSchema(properties: Record<string, unknown>, required: string[], extra: Record<string, unknown> = {}): object {
  return { type: 'object', additionalProperties: false, required, properties, ...extra };
}
