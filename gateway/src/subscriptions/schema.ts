import { extendSchema, parse, type GraphQLSchema } from 'graphql';

/**
 * What the gateway adds to the supergraph's API schema. Subgraphs declare no Subscription: the gateway
 * owns these fields and resolves `execution` by running the subscriber's selection as a query.
 */
export const SUBSCRIPTION_SDL = /* GraphQL */ `
  """
  What an update reports. A run's last event is always one of SUCCEEDED, FAILED, CANCELLED and TIMED_OUT,
  and says how it ended, whatever ended it (a worker, cancelExecution, the timeout); no other type ends a
  run. A STATUS_CHANGED to that status comes just before it.
  """
  enum ExecutionUpdateType {
    "The run's state when the subscription started (executionUpdated's first update)."
    SNAPSHOT
    "The run's status or phase changed (event.status, event.phase)."
    STATUS_CHANGED
    STEP_FINISHED
    "Rows processed so far; coalesced (latest wins) and without a sequence."
    PROGRESS
    LOG
    "The run's last event: it succeeded."
    SUCCEEDED
    "The run's last event: it failed (event.message: the error's code and message)."
    FAILED
    "The run's last event: it was cancelled."
    CANCELLED
    "The run's last event: it did not finish within its timeout."
    TIMED_OUT
  }

  "What happened to the run. SNAPSHOT is the state a new subscriber gets first."
  type ExecutionUpdateEvent {
    "SUCCEEDED, FAILED, CANCELLED and TIMED_OUT end the run; executionUpdated completes after them."
    type: ExecutionUpdateType!
    "When the event happened (for SNAPSHOT: when the state was read)."
    at: DateTimeISO!
    message: String
    """
    The run's event sequence: strictly increasing per run, null for PROGRESS. On SNAPSHOT, the sequence of the
    run's last event when the state was read: every event at or below it is already in the snapshot (drop it
    if it arrives after), and the events after it follow.
    """
    sequence: Float
    "The run's status and phase as this event set them (the execution field reads the current state)."
    status: ExecutionStatus
    phase: ExecutionPhase
    percent: Float
    rowsProcessed: Float
  }

  type ExecutionUpdate {
    execution: Execution!
    event: ExecutionUpdateEvent!
  }

  input ExecutionEventsFilter {
    workflowId: ID
    "Only updates after which the run has this status."
    status: ExecutionStatus
  }

  extend schema { subscription: Subscription }

  type Subscription {
    "The run's current state, then every change; completes after the run's last event (SUCCEEDED, FAILED, CANCELLED or TIMED_OUT)."
    executionUpdated(id: ID!): ExecutionUpdate!
    "Every change of the tenant's runs, optionally filtered."
    executionEvents(filter: ExecutionEventsFilter): ExecutionUpdate!
  }
`;

export function buildSubscriptionSchema(apiSchema: GraphQLSchema): GraphQLSchema {
  return extendSchema(apiSchema, parse(SUBSCRIPTION_SDL));
}
