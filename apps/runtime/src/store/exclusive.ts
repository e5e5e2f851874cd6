// Tasks under one name run one at a time in this process (Store.exclusive's in-process half; the
// PostgreSQL store adds the cross-instance half). A task that throws does not stop the next.
export type Exclusive = <T>(name: string, task: () => Promise<T>) => Promise<T>;

export function createLocalExclusive(): Exclusive {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const next = (tails.get(name) ?? Promise.resolve()).then(task, task);
    const tail = next.catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return next;
  };
}
