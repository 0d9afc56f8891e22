import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokens, createLogger } from '@rowline/kit';
import { createGateway, loadSupergraph, SUBGRAPHS, type Gateway, type SubgraphName } from '@rowline/gateway';

let gateway: Gateway;
let base: string;

/** A port where nothing listens: every subgraph is down, so /readyz answers 503 and a file request 502. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const down = `http://127.0.0.1:${await closedPort()}`;
  gateway = await createGateway({
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    tokens: createInternalTokens('metrics-test-secret-metrics-test-secret'),
    supergraphSdl: await loadSupergraph(),
    urls: Object.fromEntries(SUBGRAPHS.map((name) => [name, down])) as Record<SubgraphName, string>,
    jwt: { issuer: 'https://auth.test', audience: 'rowline' },
  });
  base = `http://127.0.0.1:${await gateway.listen(0)}`;
});
afterAll(() => gateway?.close());

const graphql = (body: object, headers: Record<string, string> = {}) => fetch(`${base}/graphql`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
});
/** The value of one sample of the gateway's /metrics, or undefined if there is none. */
const sample = (text: string, name: string, labels: string) =>
  text.split('\n').find((line) => line.startsWith(`${name}{${labels}}`))?.split(' ').pop();

describe("the gateway's request metrics", () => {
  it('count every answer by route template and status, and time GraphQL operations, as the alerts and dashboard read them', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await graphql({ query: 'query Probe { __typename }', operationName: 'Probe' })).status).toBe(200);
    expect((await graphql({ query: '{ __typename }' }, { authorization: 'Basic nope' })).status).toBe(401);
    expect((await graphql({ query: 'query Broken { nope }', operationName: 'Broken' })).status).toBe(400);
    expect((await fetch(`${base}/files/d/secret-download-token`)).status).toBe(502);
    expect((await fetch(`${base}/no/such/path`)).status).toBe(404);

    const text = await (await fetch(`${base}/metrics`)).text();
    const requests = (route: string, status: number) =>
      sample(text, 'rowline_http_requests_total', `route="${route}",status="${status}",service="gateway"`);
    expect(requests('/healthz', 200)).toBe('1');
    expect(requests('/readyz', 503)).toBe('1');
    expect(requests('/graphql', 200)).toBe('1');
    expect(requests('/graphql', 401)).toBe('1');
    expect(requests('/graphql', 400)).toBe('1');
    expect(requests('/files', 502)).toBe('1');
    expect(requests('unmatched', 404)).toBe('1');
    // Route templates only: a path's ids and tokens never become label values.
    expect(text).not.toContain('secret-download-token');

    // By type and root field, not by the names clients give their operations; one that did not validate is `invalid`.
    const operations = (labels: string) => sample(text, 'rowline_graphql_operation_seconds_count', `service="gateway",${labels}`);
    expect(operations('operation="query __typename",outcome="ok"')).toBe('1');
    expect(operations('operation="invalid",outcome="error"')).toBe('1');
    expect(text).not.toContain('Probe');
  });
});
