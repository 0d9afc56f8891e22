/** Suffix of the dead-letter topic that `ensureTopics` creates beside every topic. */
export const DLQ_SUFFIX = '.dlq';

export function dlqTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isDlqTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}

/** Maps logical topic and group names to the namespaced names used on the wire, and back. */
export type Namespace = { wire(name: string): string; logical(wireName: string): string };

export function namespace(prefix = ''): Namespace {
  return {
    wire: (name) => `${prefix}${name}`,
    logical: (wireName) => (wireName.startsWith(prefix) ? wireName.slice(prefix.length) : wireName),
  };
}

/** The topics `ensureTopics` creates: each one asked for and its dead-letter topic, once each. */
export function withDeadLetterTopics<T extends { name: string }>(specs: T[]): T[] {
  const byName = new Map<string, T>();
  for (const spec of specs) {
    if (!byName.has(spec.name)) byName.set(spec.name, spec);
    // A dead-letter topic has none of its own (see delivery.ts).
    if (!isDlqTopic(spec.name) && !byName.has(dlqTopic(spec.name))) byName.set(dlqTopic(spec.name), { ...spec, name: dlqTopic(spec.name) });
  }
  return [...byName.values()];
}
