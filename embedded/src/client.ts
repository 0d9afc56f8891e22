/** What graphqlClient needs of a fetch: Node's, or kit's keep-alive `createHttpFetch()` (cheaper per call). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ json(): Promise<unknown> }>;

/** A minimal GraphQL-over-HTTP client: the seed uses the public API like any user would. */
export function graphqlClient(url: string, fetchImpl: FetchLike = fetch) {
  let token: string | undefined;
  return {
    setToken(value: string | undefined) { token = value; },
    async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    },
  };
}
export type GraphQLClient = ReturnType<typeof graphqlClient>;
