/**
 * Whether a Docker (or compatible) engine answers, asked the way testcontainers itself looks for one
 * (DOCKER_HOST, ~/.testcontainers.properties, the usual sockets). Imported lazily: most runs go without it.
 */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
