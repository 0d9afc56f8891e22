import { extendSchema, parse, type GraphQLSchema } from 'graphql';

/**
 * What the gateway adds to the supergraph's API schema. Subgraphs declare no Subscription: the gateway
 * owns these fields and resolves `execution` by running the subscriber's selection as a query.
 */
export const SUBSCRIPTION_SDL = /* GraphQL */ `
  enum ExecutionUpdateType { SNAPSHOT STATUS_CHANGED STEP_FINISHED PROGRESS LOG SUCCEEDED FAILED }

  "What happened to the run. SNAPSHOT is the state a new subscriber gets first."
  type ExecutionUpdateEvent {
    type: ExecutionUpdateType!
    "When the event happened (for SNAPSHOT: when the state was read)."
    at: DateTimeISO!
    message: String
    "The run's event sequence; null for progress and snapshots."
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
    "The run's current state, then every change; completes after the run's final event."
    executionUpdated(id: ID!): ExecutionUpdate!
    "Every change of the tenant's runs, optionally filtered."
    executionEvents(filter: ExecutionEventsFilter): ExecutionUpdate!
  }
`;

export function buildSubscriptionSchema(apiSchema: GraphQLSchema): GraphQLSchema {
  return extendSchema(apiSchema, parse(SUBSCRIPTION_SDL));
}
