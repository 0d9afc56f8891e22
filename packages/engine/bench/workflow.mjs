/** The benchmark's workflow, the same as ../../../../shared/baselines/pandas_workflow.py. */
export function benchSteps({ writeFiltered = true } = {}) {
  return [
    { type: 'filter', params: { sheet: 'Sales', where: { all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
    { type: 'compute_column', params: { sheet: 'Sales', column: 'margin', expression: 'amount * 0.2' } },
    { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region', 'category'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }, { column: 'margin', fn: 'sum', as: 'margin' }] } },
    { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
    {
      type: 'output',
      params: { artifacts: [{ name: 'report.xlsx', format: 'xlsx', sheets: writeFiltered ? [{ from: 'Sales', as: 'Filtered' }, { from: 'Summary' }] : [{ from: 'Summary' }] }] },
    },
  ];
}
