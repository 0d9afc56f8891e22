import { PassThrough, Readable } from 'node:stream';
import { runWorkflow } from '@rowline/engine';

/** The xlsx workbook of a csv text (one sheet, `sales`), made by the engine itself. */
export async function asXlsx(csv: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await runWorkflow({
    steps: [{ type: 'output', params: { artifacts: [{ name: 'sales.xlsx', format: 'xlsx', sheets: [{ from: 'sales' }] }] } }],
    input: { fileName: 'sales.csv', open: () => Readable.from([csv]) },
    openArtifact: async () => {
      const body = new PassThrough();
      body.on('data', (c: Buffer) => parts.push(c));
      return body;
    },
  });
  return Buffer.concat(parts);
}
