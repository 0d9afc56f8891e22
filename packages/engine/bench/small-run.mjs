/**
 * The small run of issue 5, shared by the engine's `engine-small` bench and the executions benches: filter
 * out void sales, sum the amounts by region into a Summary sheet, write it as one xlsx artifact.
 */
export const SMALL_RUN_STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'status', op: 'ne', value: 'void' } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', format: 'xlsx', sheets: [{ from: 'Summary' }] }] } },
];
