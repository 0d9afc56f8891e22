import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { answerOf, compileSubscription, render, runsWithin, subscriberPath, EXECUTION_IDS_VARIABLE, STATUS_KEY, type SubscriptionPlan } from '../src/subscriptions/plan.js';
import { buildSubscriptionSchema } from '../src/subscriptions/schema.js';
import { snapshotEvent } from '../src/subscriptions/events.js';
import { SubscriberQueue } from '../src/subscriptions/subscriber-queue.js';

// A stand-in for the supergraph's API schema: just what the subscription layer builds on.
const api = buildSchema(`
  scalar DateTimeISO
  enum ExecutionStatus { PENDING QUEUED RUNNING SUCCEEDED FAILED CANCELLED TIMED_OUT }
  enum ExecutionPhase { INITIALIZING READING TRANSFORMING VALIDATING WRITING }
  type Workflow { name: String! }
  type WorkflowVersion { workflow: Workflow! }
  type File { name: String! }
  type Execution { id: ID! status: ExecutionStatus! workflowVersion: WorkflowVersion! inputFile: File! }
  type Query { execution(id: ID!): Execution! executionsByIds(ids: [ID!]!): [Execution]! }
`);
const schema = buildSubscriptionSchema(api);

function plan(query: string, variables: Record<string, unknown> = {}): SubscriptionPlan {
  const p = compileSubscription(schema, parse(query), undefined, variables);
  if (!('query' in p)) throw p;
  return p;
}

describe('a subscription plan', () => {
  it('turns every execution selection, aliased or in fragments, into one root field of a gateway query', () => {
    const p = plan(`subscription($id: ID!, $file: Boolean!) {
      executionUpdated(id: $id) {
        event { type }
        run: execution { ...Run }
        ... on ExecutionUpdate { execution { id } }
      }
    }
    fragment Run on Execution { status inputFile @include(if: $file) { name } }`, { id: 'r1', file: true });
    expect(p.field).toBe('executionUpdated');
    expect(p.args).toEqual({ id: 'r1' });
    expect(p.queryVariables).toEqual({ file: true });
    const query = parse(p.query);
    const op = query.definitions[0]!;
    expect(op.kind).toBe('OperationDefinition');
    expect(p.query).toContain(`$${EXECUTION_IDS_VARIABLE}: [ID!]!`);
    expect(p.query).toContain('$file: Boolean!');
    expect(p.query).toContain(`${STATUS_KEY}: executionsByIds(ids: $${EXECUTION_IDS_VARIABLE})`);
    expect(p.query).toContain(`run: executionsByIds(ids: $${EXECUTION_IDS_VARIABLE})`);
    expect(p.query).toContain(`execution: executionsByIds(ids: $${EXECUTION_IDS_VARIABLE})`);
    expect(p.query).toContain('fragment Run on Execution');
  });

  it('replays the gateway\'s answer under the subscriber\'s aliases, with the event from the bus', () => {
    const p = plan(`subscription($id: ID!) {
      executionUpdated(id: $id) { kind: event { type } run: execution { state: status wf: workflowVersion { workflow { name } } } }
    }`, { id: 'r1' });
    const data = { [STATUS_KEY]: { status: 'RUNNING' }, run: { state: 'RUNNING', wf: { workflow: { name: 'W', __typename: 'Workflow' }, __typename: 'WorkflowVersion' }, __typename: 'Execution' } };
    expect(render(p, data, snapshotEvent())).toEqual({
      data: { executionUpdated: { kind: { type: 'SNAPSHOT' }, run: { state: 'RUNNING', wf: { workflow: { name: 'W' } } } } },
    });
  });

  it('reads the feed\'s filter and refuses operations that are not subscriptions', () => {
    const p = plan(`subscription { executionEvents(filter: {status: SUCCEEDED}) { __typename event { type } } }`);
    expect(p.field).toBe('executionEvents');
    expect(p.args).toEqual({ filter: { status: 'SUCCEEDED' } });
    expect(compileSubscription(schema, parse('{ execution(id: "x") { id } }'), undefined, {})).toMatchObject({ message: 'Not a subscription operation' });
  });
});

describe('a plan\'s query for many runs', () => {
  const p = plan(`subscription { executionEvents { run: execution { status wf: workflowVersion { workflow { name } } } } }`);

  it('costs what the gateway\'s cost limit estimates, per run read, and reads as many runs as stay within a limit', () => {
    // Status root field: 1 + (status, eventSequence) per run; the subscriber's: 1 + (status, workflowVersion 1 + workflow 1 + name 1) per run.
    expect(p.cost).toEqual({ fixed: 2, perRun: 2 + 4 });
    expect(runsWithin(p, 2 + 6 * 5)).toBe(5);
    expect(runsWithin(p, 2 + 6 * 5 + 5)).toBe(5);
    // A limit below one run still reads one: the gateway's answer (QUERY_TOO_COMPLEX) is then that run's update.
    expect(runsWithin(p, 3)).toBe(1);
  });

  it('splits the answer by run: each root field\'s item, the errors at it without its index, and the errors of the whole query', () => {
    const answer = {
      data: { [STATUS_KEY]: [{ status: 'RUNNING' }, null], run: [{ status: 'RUNNING' }, null] },
      errors: [
        { message: 'Execution r2 was not found', path: [STATUS_KEY, 1], extensions: { code: 'NOT_FOUND' } },
        { message: 'no name', path: ['run', 0, 'wf', 'workflow'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        { message: 'budget', extensions: { code: 'RATE_LIMITED' } },
      ],
    };
    expect(answerOf(answer, 0)).toEqual({
      data: { [STATUS_KEY]: { status: 'RUNNING' }, run: { status: 'RUNNING' } },
      errors: [{ message: 'no name', path: ['run', 'wf', 'workflow'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, answer.errors[2]],
    });
    expect(answerOf(answer, 1)).toEqual({
      data: { [STATUS_KEY]: null, run: null },
      errors: [{ message: 'Execution r2 was not found', path: [STATUS_KEY], extensions: { code: 'NOT_FOUND' } }, answer.errors[2]],
    });
    expect(answerOf({ data: null, errors: [answer.errors[2]!] }, 1)).toEqual({ data: null, errors: [answer.errors[2]] });
  });
});

describe('the path of an error of the plan\'s query', () => {
  it('is the subscriber\'s: under the subscription\'s key, and never the internal status field', () => {
    const p = plan(`subscription($id: ID!) { watch: executionUpdated(id: $id) { run: execution { inputFile { name } } } }`, { id: 'r1' });
    expect(subscriberPath(p, [STATUS_KEY])).toEqual(['watch']);
    expect(subscriberPath(p, ['run', 'inputFile'])).toEqual(['watch', 'run', 'inputFile']);
    expect(subscriberPath(p, undefined)).toBeUndefined();
  });
});

describe('a subscriber queue', () => {
  const result = (n: number) => ({ data: { n } });
  function queue(limit: number) {
    const seen = { overflow: 0, coalesced: 0, ended: 0 };
    const q = new SubscriberQueue({ limit, onOverflow: () => seen.overflow++, onCoalesced: () => seen.coalesced++, onEnd: () => seen.ended++ });
    return { q, seen };
  }

  it('replaces waiting progress with newer progress and keeps every other update in order', async () => {
    const { q, seen } = queue(10);
    q.push(result(1), false);
    q.push(result(2), true);
    q.push(result(3), true);
    q.push(result(4), false);
    q.push(result(5), true, true);
    const got = [];
    for await (const r of q) got.push(r.data!.n);
    expect(got).toEqual([1, 3, 4, 5]);
    expect(seen).toEqual({ overflow: 0, coalesced: 1, ended: 1 });
  });

  it('gives up on a subscriber whose waiting updates pass the limit', async () => {
    const { q, seen } = queue(2);
    for (let i = 0; i < 3; i++) q.push(result(i), false);
    expect(seen.overflow).toBe(1);
    expect(q.closed).toBe(true);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });
});
