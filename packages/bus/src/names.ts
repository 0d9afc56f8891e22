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
