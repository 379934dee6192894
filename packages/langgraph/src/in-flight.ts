/**
 * Runs `work` while a request this call just started is in flight: as a macrotask, which the event loop
 * reaches once the client has sent the request and waits for its answer, so the work costs the caller no
 * time. `flush()` runs it at once if it has not run yet (an answer that came first); `cancel()` keeps it from
 * running and tells whether it already had, so that its effects can be undone.
 */
export function whileInFlight(work: () => void): { flush(): void; cancel(): boolean } {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    work();
  };
  const timer = setImmediate(run);
  return {
    flush() {
      clearImmediate(timer);
      run();
    },
    cancel() {
      clearImmediate(timer);
      const ran = done;
      done = true;
      return ran;
    },
  };
}
