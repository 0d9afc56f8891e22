/**
 * Retries an admin call that failed with an error kafkajs marks retriable (a leader not elected yet, a
 * coordinator still loading). Right after a topic is created, the broker may still answer "not the leader"
 * for a moment; kafkajs retries that for producers and consumers but not for every admin call.
 */
export async function retriable<T>(call: () => Promise<T>, attempts = 20, delayMs = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
