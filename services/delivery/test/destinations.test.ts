import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, secretContext } from '../src/index.js';
import { errorCodes, owner, startDelivery, TENANT_A, viewer, type Harness } from './support/harness.js';

const CREATE = `mutation($input: CreateDestinationInput!) {
  createDestination(input: $input) { id name kind config hasSecret enabled createdAt }
}`;
const LIST = `query($first: Int, $after: String) {
  destinations(first: $first, after: $after) { edges { cursor node { id name kind config hasSecret } } pageInfo { hasNextPage endCursor } }
}`;
const SIGNING_SECRET = 'whsec_super-secret-signing-value';
const SFTP_PASSWORD = 'sftp-password-never-shown';
const FINGERPRINT = 'SHA256:' + 'A'.repeat(43);

let h: Harness;
beforeAll(async () => { h = await startDelivery(); });
afterAll(async () => { await h?.stop(); });

describe('destinations', () => {
  it('creates destinations of each kind and lists them oldest first, page by page', async () => {
    const inputs = [
      { name: 'Partner hook', kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/rowline', secret: SIGNING_SECRET } },
      { name: 'Bank SFTP', kind: 'SFTP', config: { host: 'sftp.example.com', username: 'acme', password: SFTP_PASSWORD, hostKeySha256: FINGERPRINT, directory: '/in' } },
      { name: 'Legacy FTP', kind: 'FTP', config: { host: 'ftp.example.com', port: 990, username: 'acme', password: 'ftp-pass', tls: 'IMPLICIT', directory: 'upload' } },
      { name: 'Archive', kind: 'S3', config: { bucket: 'acme-archive', region: 'eu-west-1', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3-secret-key' } },
      { name: 'Finance team', kind: 'EMAIL', config: { to: ['finance@example.com'], subject: 'Monthly report' } },
    ];
    for (const input of inputs) {
      const created = await h.gql(owner(TENANT_A), CREATE, { input });
      expect(created.errors).toBeUndefined();
      expect(created.data.createDestination).toMatchObject({ name: input.name, kind: input.kind, enabled: true });
    }

    const first = await h.gql(owner(TENANT_A), LIST, { first: 3 });
    expect(first.data.destinations.edges.map((e: any) => e.node.name)).toEqual(['Partner hook', 'Bank SFTP', 'Legacy FTP']);
    expect(first.data.destinations.pageInfo.hasNextPage).toBe(true);
    const rest = await h.gql(owner(TENANT_A), LIST, { first: 3, after: first.data.destinations.pageInfo.endCursor });
    expect(rest.data.destinations.edges.map((e: any) => e.node.name)).toEqual(['Archive', 'Finance team']);
    expect(rest.data.destinations.pageInfo.hasNextPage).toBe(false);

    const email = rest.data.destinations.edges[1].node;
    expect(email).toMatchObject({ hasSecret: false, config: { to: ['finance@example.com'], subject: 'Monthly report', attach: true } });
    const ftp = first.data.destinations.edges[2].node;
    expect(ftp.config).toEqual({ host: 'ftp.example.com', port: 990, username: 'acme', password: '********', tls: 'IMPLICIT', directory: 'upload' });
  });

  it('never returns a secret and stores it only encrypted', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, {
      input: { name: 'Signed hook', kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/signed', secret: SIGNING_SECRET } },
    });
    const destination = created.data.createDestination;
    expect(destination.config).toEqual({ url: 'https://hooks.example.com/signed', secret: '********' });
    expect(destination.hasSecret).toBe(true);
    expect(JSON.stringify(await h.gql(owner(TENANT_A), LIST, { first: 100 }))).not.toContain(SIGNING_SECRET);

    const rows = await h.orm.em.getConnection().execute(`select * from delivery.destinations where id = ?`, [destination.id]);
    expect(JSON.stringify(rows)).not.toContain(SIGNING_SECRET);
    const row = rows[0] as { secrets: string; config: object; secret_fields: string[] };
    expect(row.config).toEqual({ url: 'https://hooks.example.com/signed' });
    expect(row.secret_fields).toEqual(['secret']);
    expect(row.secrets).toMatch(/^v1\./);
    expect(createSecretBox(h.secretKey).open(row.secrets, secretContext(TENANT_A, destination.id))).toEqual({ secret: SIGNING_SECRET });
  });

  it('keeps stored secrets on an update that leaves them out or sends the mask back, and drops them on null', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, {
      input: { name: 'Rotating hook', kind: 'WEBHOOK', config: { url: 'https://a.example.com/hook', secret: SIGNING_SECRET } },
    });
    const id = created.data.createDestination.id;
    const UPDATE = `mutation($input: UpdateDestinationInput!) { updateDestination(input: $input) { name enabled config hasSecret } }`;

    const masked = await h.gql(owner(TENANT_A), UPDATE, { input: { id, enabled: false, config: { url: 'https://b.example.com/hook', secret: '********' } } });
    expect(masked.data.updateDestination).toEqual({ name: 'Rotating hook', enabled: false, config: { url: 'https://b.example.com/hook', secret: '********' }, hasSecret: true });
    const [row] = await h.orm.em.getConnection().execute(`select secrets from delivery.destinations where id = ?`, [id]);
    expect(createSecretBox(h.secretKey).open(row.secrets, secretContext(TENANT_A, id))).toEqual({ secret: SIGNING_SECRET });

    const cleared = await h.gql(owner(TENANT_A), UPDATE, { input: { id, config: { url: 'https://b.example.com/hook', secret: null } } });
    expect(cleared.data.updateDestination).toMatchObject({ config: { url: 'https://b.example.com/hook' }, hasSecret: false });
  });

  it('refuses an invalid config with BAD_USER_INPUT naming the offending field', async () => {
    const cases = [
      { kind: 'WEBHOOK', config: { url: 'http://hooks.example.com/x' }, path: 'config.url' },
      { kind: 'WEBHOOK', config: { url: 'https://169.254.169.254/latest/meta-data' }, path: 'config.url' },
      { kind: 'WEBHOOK', config: { url: 'https://ok.example.com', pasword: 'typo' }, path: 'config' },
      { kind: 'SFTP', config: { host: 'sftp.example.com', username: 'u', password: 'p', hostKeySha256: 'nope', directory: '/in' }, path: 'config.hostKeySha256' },
      { kind: 'SFTP', config: { host: 'sftp.example.com', username: 'u', hostKeySha256: FINGERPRINT, directory: '/in' }, path: 'config.password' },
      { kind: 'FTP', config: { host: 'ftp.example.com', username: 'u', password: 'p', tls: 'SOMETIMES', directory: '/' }, path: 'config.tls' },
      { kind: 'S3', config: { bucket: 'Bad_Bucket', region: 'eu-west-1', accessKeyId: 'a', secretAccessKey: 'b' }, path: 'config.bucket' },
      { kind: 'EMAIL', config: { to: ['not-an-email'], subject: 'Hi' }, path: 'config.to.0' },
      { kind: 'EMAIL', config: 'just a string', path: 'config' },
    ];
    for (const [i, c] of cases.entries()) {
      const result = await h.gql(owner(TENANT_A), CREATE, { input: { name: `bad ${i}`, kind: c.kind, config: c.config } });
      expect(errorCodes(result), JSON.stringify(c)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.path, JSON.stringify(c)).toBe(c.path);
    }
  });

  it('answers CONFLICT for a second destination with the same name', async () => {
    const input = { name: 'Twice', kind: 'EMAIL', config: { to: ['a@example.com'], subject: 'x' } };
    expect((await h.gql(owner(TENANT_A), CREATE, { input })).errors).toBeUndefined();
    expect(errorCodes(await h.gql(owner(TENANT_A), CREATE, { input }))).toEqual(['CONFLICT']);
  });

  it('lets a viewer read destinations but not create them', async () => {
    const read = await h.gql(viewer(TENANT_A), LIST, { first: 1 });
    expect(read.errors).toBeUndefined();
    expect(read.data.destinations.edges).toHaveLength(1);
    const create = await h.gql(viewer(TENANT_A), CREATE, { input: { name: 'Nope', kind: 'EMAIL', config: { to: ['a@example.com'], subject: 'x' } } });
    expect(errorCodes(create)).toEqual(['FORBIDDEN']);
  });

  it('attaches a destination to a workflow once, updating the route when attached again', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, { input: { name: 'Routed', kind: 'EMAIL', config: { to: ['r@example.com'], subject: 'x' } } });
    const destinationId = created.data.createDestination.id;
    const ATTACH = `mutation($input: AttachDestinationInput!) {
      attachDestination(input: $input) { id workflowId artifactPattern fileNameTemplate destination { id name } }
    }`;
    const workflowId = await h.workflow(TENANT_A);
    const first = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId, destinationId } });
    expect(first.data.attachDestination).toMatchObject({ workflowId, artifactPattern: '*', fileNameTemplate: '{name}', destination: { id: destinationId, name: 'Routed' } });
    const again = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId, destinationId, artifactPattern: '*.xlsx', fileNameTemplate: '{stem}-{date}.{ext}' } });
    expect(again.data.attachDestination).toMatchObject({ id: first.data.attachDestination.id, artifactPattern: '*.xlsx', fileNameTemplate: '{stem}-{date}.{ext}' });

    const traversal = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId, destinationId, fileNameTemplate: '../{name}' } });
    expect(errorCodes(traversal)).toEqual(['BAD_USER_INPUT']);
    expect(traversal.errors![0]!.extensions.path).toBe('fileNameTemplate');
  });

  it('lists a workflow\'s and a destination\'s routes, and detaches one so the next runs no longer deliver there', async () => {
    const created = await Promise.all(['Left', 'Right'].map((name) =>
      h.gql(owner(TENANT_A), CREATE, { input: { name, kind: 'EMAIL', config: { to: [`${name}@example.com`], subject: 'x' } } })));
    const [left, right] = created.map((c) => c.data.createDestination.id as string);
    const [workflowId, otherWorkflow] = [await h.workflow(TENANT_A), await h.workflow(TENANT_A)];
    const ATTACH = `mutation($w: ID!, $d: ID!, $p: String) { attachDestination(input: { workflowId: $w, destinationId: $d, artifactPattern: $p }) { id } }`;
    const leftRoute = (await h.gql(owner(TENANT_A), ATTACH, { w: workflowId, d: left, p: '*.csv' })).data.attachDestination.id;
    const rightRoute = (await h.gql(owner(TENANT_A), ATTACH, { w: workflowId, d: right })).data.attachDestination.id;
    const otherRoute = (await h.gql(owner(TENANT_A), ATTACH, { w: otherWorkflow, d: left })).data.attachDestination.id;

    const WORKFLOW_ROUTES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Workflow { id routes { edges { node { id artifactPattern workflow { id } destination { id name } } } } } } }`;
    const listed = await h.gql(viewer(TENANT_A), WORKFLOW_ROUTES, { reps: [{ __typename: 'Workflow', id: workflowId }] });
    expect(listed.errors).toBeUndefined();
    expect(listed.data._entities[0].routes.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { id: leftRoute, artifactPattern: '*.csv', workflow: { id: workflowId }, destination: { id: left, name: 'Left' } },
      { id: rightRoute, artifactPattern: '*', workflow: { id: workflowId }, destination: { id: right, name: 'Right' } },
    ]);
    const DESTINATION_ROUTES = `query($id: ID!, $first: Int, $after: String) {
      destination(id: $id) { routes(first: $first, after: $after) { edges { cursor node { id workflowId } } pageInfo { hasNextPage endCursor } } }
    }`;
    const nodes = (r: any) => r.data.destination.routes.edges.map((e: { node: unknown }) => e.node);
    expect(nodes(await h.gql(viewer(TENANT_A), DESTINATION_ROUTES, { id: left }))).toEqual([
      { id: leftRoute, workflowId }, { id: otherRoute, workflowId: otherWorkflow },
    ]);
    // Paged like every list (max 100), oldest first.
    const page1 = await h.gql(viewer(TENANT_A), DESTINATION_ROUTES, { id: left, first: 1 });
    expect(nodes(page1)).toEqual([{ id: leftRoute, workflowId }]);
    expect(page1.data.destination.routes.pageInfo.hasNextPage).toBe(true);
    const page2 = await h.gql(viewer(TENANT_A), DESTINATION_ROUTES, { id: left, first: 1, after: page1.data.destination.routes.pageInfo.endCursor });
    expect([nodes(page2), page2.data.destination.routes.pageInfo.hasNextPage]).toEqual([[{ id: otherRoute, workflowId: otherWorkflow }], false]);
    expect(errorCodes(await h.gql(viewer(TENANT_A), DESTINATION_ROUTES, { id: left, first: 101 }))).toEqual(['BAD_USER_INPUT']);

    const DETACH = `mutation($w: ID!, $d: ID!) { detachDestination(input: { workflowId: $w, destinationId: $d }) }`;
    expect(errorCodes(await h.gql(viewer(TENANT_A), DETACH, { w: workflowId, d: left }))).toEqual(['FORBIDDEN']);
    expect((await h.gql(owner(TENANT_A), DETACH, { w: workflowId, d: left })).data.detachDestination).toBe(leftRoute);
    // Detached: gone from both lists, and the delivery plan of the workflow's next run no longer has it.
    expect((await h.gql(owner(TENANT_A), WORKFLOW_ROUTES, { reps: [{ __typename: 'Workflow', id: workflowId }] })).data._entities[0].routes.edges
      .map((e: { node: { id: string } }) => e.node.id)).toEqual([rightRoute]);
    expect(nodes(await h.gql(owner(TENANT_A), DESTINATION_ROUTES, { id: left }))).toEqual([{ id: otherRoute, workflowId: otherWorkflow }]);
    const stored = await h.orm.em.fork().getConnection().execute(`select destination_id from delivery.routes where workflow_id = ?`, [workflowId]);
    expect(stored).toEqual([{ destination_id: right }]);

    // Twice, or a pair never attached, or malformed ids: NOT_FOUND, and nothing else is touched.
    for (const variables of [{ w: workflowId, d: left }, { w: otherWorkflow, d: right }, { w: 'nope', d: left }, { w: workflowId, d: 'nope' }]) {
      const again = await h.gql(owner(TENANT_A), DETACH, variables);
      expect(errorCodes(again)).toEqual(['NOT_FOUND']);
    }
    expect(await h.orm.em.fork().getConnection().execute(`select count(*)::int as n from delivery.routes where id in (?, ?)`, [rightRoute, otherRoute]))
      .toEqual([{ n: 2 }]);
    // Attaching names objects too: a malformed id of either is one that does not exist (detach alike).
    for (const variables of [{ w: 'nope', d: left }, { w: workflowId, d: 'nope' }]) {
      expect(errorCodes(await h.gql(owner(TENANT_A), ATTACH, variables))).toEqual(['NOT_FOUND']);
    }
  });

  it('deletes a destination with its routes, and keeps answering NOT_FOUND for it afterwards', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, { input: { name: 'Short-lived', kind: 'EMAIL', config: { to: ['s@example.com'], subject: 'x' } } });
    const id = created.data.createDestination.id;
    const attached = await h.gql(owner(TENANT_A), `mutation($w: ID!, $id: ID!) { attachDestination(input: { workflowId: $w, destinationId: $id }) { id } }`, { w: await h.workflow(TENANT_A), id });
    expect(attached.errors).toBeUndefined();

    const deleted = await h.gql(owner(TENANT_A), `mutation($id: ID!) { deleteDestination(id: $id) }`, { id });
    expect(deleted.data.deleteDestination).toBe(id);
    const routes = await h.orm.em.getConnection().execute(`select id from delivery.routes where destination_id = ?`, [id]);
    expect(routes).toEqual([]);
    expect(errorCodes(await h.gql(owner(TENANT_A), `query($id: ID!) { destination(id: $id) { id } }`, { id }))).toEqual(['NOT_FOUND']);
  });
});
