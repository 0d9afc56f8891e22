import { afterAll, beforeAll, expect, it } from 'vitest';
import { startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from './support/platform.js';

// A run's log lines as the worker writes them: several in one move, at one moment. `logs` must answer them in
// the order written, and `logs(last: true)` the latest of them in that order too.
let p: ExecutionsPlatform;
let acme: Tenant;
const runs: string[] = [];

beforeAll(async () => {
  p = await startExecutionsPlatform();
  acme = await p.tenant('Acme');
  // Each move_rows step that moves nothing logs a line, so a run of six writes six lines (and more) in its outcome's move.
  const steps = [
    ...['A', 'B', 'C', 'D', 'E', 'F'].map((to) => ({ type: 'move_rows', params: { sheet: 'Sales', to, where: { column: 'amount', op: 'gt', value: 1e12 } } })),
    { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
  ];
  const workflow = await acme.workflow(steps, 'Many lines');
  const fileId = await acme.upload();
  for (let i = 0; i < 3; i++) runs.push(await acme.run({ workflowVersionId: workflow.versionId, fileId }));
  for (const id of runs) await acme.ended(id);
});
afterAll(async () => { await p?.stop(); });

it('answers a run\'s log lines in the order the worker wrote them, first or latest', async () => {
  const first = `query($id: ID!) { execution(id: $id) { logs(limit: 1000) { message } } }`;
  const latest = `query($id: ID!, $n: Int!) { execution(id: $id) { logs(limit: $n, last: true) { message } } }`;
  for (const id of runs) {
    // The order of insertion: the physical order of a table only ever appended to in this test.
    const written = (await p.sql<{ message: string }>(`select "message" from "executions"."execution_logs" where "execution_id" = ? order by ctid`, [id]))
      .map((w) => w.message);
    expect(written.length).toBeGreaterThan(5);
    const answered = (await acme.api.request(first, { id })).data.execution.logs.map((l: any) => l.message);
    expect(answered).toEqual(written);
    const tail = (await acme.api.request(latest, { id, n: 4 })).data.execution.logs.map((l: any) => l.message);
    expect(tail).toEqual(written.slice(-4));
  }
});
