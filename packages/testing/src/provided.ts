/** What the globalSetup hands to test files: where to ask for servers, and this run's id. */
export type ProvidedServers = { controlUrl: string; runId: string };

export const PROVIDED_KEY = 'rowlineTestServers';

declare module 'vitest' {
  export interface ProvidedContext {
    rowlineTestServers: ProvidedServers;
  }
}
