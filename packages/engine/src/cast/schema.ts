/**
 * clean's cast params and the rules between them, in its JSON Schema so that a client validating with
 * ruleTypes() refuses what validateSteps refuses. A rule's `then` carries the message of its error in
 * `description` (validate-steps.ts shows it instead of Ajv's "must NOT be valid").
 */

const onlyWith = (cast: string) => ({ not: {}, description: `applies only with cast ${JSON.stringify(cast)}` });

export const castProperties = {
  cast: { enum: ['number', 'text', 'date', 'boolean'] },
  decimalSeparator: {
    enum: ['.', ','],
    description:
      'With cast "number": text is read as written for people, with this decimal separator (default "."): currency, sign, parentheses and percent around the number are understood, digits between thousands separators must come in threes, and a value a number cannot hold exactly is a cast error.',
  },
  thousandsSeparator: {
    enum: [',', '.', ' ', '\u00a0', '\u202f', "'", '\u2019'],
    description:
      'With cast "number": the thousands separator of the text (default: none). " " (also U+00A0, U+202F) accepts any of the three spaces, "\'" (also U+2019) either apostrophe. "." needs decimalSeparator ",".',
  },
  dateFormat: {
    type: 'string',
    minLength: 1,
    maxLength: 64,
    description:
      'With cast "date": how the text is written, e.g. "DD.MM.YYYY", "MM/DD/YYYY", "D/M/YY", "YYYYMMDD", "DD.MM.YYYY[ HH:mm[:ss]]". YYYY YY MM M DD D HH H mm ss; . / - : , T and space as written; [ ] an optional part. YY 00-29 is 2000-2029, 30-99 1930-1999. A date that does not exist is a cast error.',
  },
} as const;

const is = (property: string, value: string) => ({ required: [property], properties: { [property]: { const: value } } });

export const castRules = [
  {
    if: { not: is('cast', 'number') },
    then: { properties: { decimalSeparator: onlyWith('number'), thousandsSeparator: onlyWith('number') } },
  },
  { if: { not: is('cast', 'date') }, then: { properties: { dateFormat: onlyWith('date') } } },
  {
    // With a decimal point, "." cannot group thousands: 1.234 would be read two ways.
    if: is('thousandsSeparator', '.'),
    then: {
      required: ['decimalSeparator'],
      description: 'is required with thousandsSeparator ".", and must be ","',
      properties: { decimalSeparator: { const: ',', description: 'must be "," with thousandsSeparator "."' } },
    },
  },
  {
    if: is('decimalSeparator', ','),
    then: { properties: { thousandsSeparator: { not: { const: ',' }, description: 'must differ from decimalSeparator ","' } } },
  },
] as const;
