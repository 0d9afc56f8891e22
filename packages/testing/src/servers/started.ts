/** A server this run started (or found), and how to let it go. */
export type Started<T> = { info: T; stop(): Promise<void> };

/** An error whose message tells a developer or CI how to make the server available. */
export class ServerUnavailableError extends Error {
  override name = 'ServerUnavailableError';
}

/** Runs providers in order and returns the first server one of them gives; explains every failure otherwise. */
export async function firstAvailable<T>(
  what: string,
  providers: Array<{ name: string; start(): Promise<Started<T> | undefined> }>,
  howTo: string,
  warn: (line: string) => void,
): Promise<Started<T>> {
  const tried: string[] = [];
  for (const provider of providers) {
    try {
      const started = await provider.start();
      if (started) return started;
      tried.push(`${provider.name}: not available`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      tried.push(`${provider.name}: ${reason}`);
      warn(`${what} from ${provider.name} failed, trying the next way: ${reason.split('\n')[0]}`);
    }
  }
  throw new ServerUnavailableError(`No ${what} for the tests.\nTried:\n- ${tried.join('\n- ')}\n${howTo}`);
}
