/**
 * The pipeline bench's side of its load generator (a forked child): `ready` once the child says so, and `ask`,
 * which sends a request and resolves with the child's answer. Either rejects when the child exits first: the
 * child exits when it cannot measure (its subscription socket closed, the gateway never reported the
 * subscription), and a bench that only waited for a message would then wait forever.
 */
export function linkDriver(child) {
  let exited = null;
  const gone = new Promise((_, reject) => {
    child.once('exit', (code, signal) => {
      exited = new Error(`the load generator exited (${signal ?? `code ${code}`}) before it answered`);
      reject(exited);
    });
  });
  // Rejections are taken by the race below; one nobody awaits (after the last answer) is no failure.
  gone.catch(() => undefined);
  const answer = () => Promise.race([new Promise((r) => child.once('message', r)), gone]);
  return {
    ready: answer(),
    ask(what) {
      if (exited) return Promise.reject(exited);
      const reply = answer();
      child.send(what);
      return reply;
    },
  };
}
