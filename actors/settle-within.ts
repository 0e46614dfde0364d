/** Waiting for something that may never happen (a hung server), with a bound: shutdown steps must always end. */

/** 'done' when the promise settles in time, its error when it rejects, 'timeout' otherwise. */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<'done' | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p.then(() => 'done' as const, (err: unknown) => (err instanceof Error ? err : new Error(String(err)))), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The promise's value when it settles in time, its error when it rejects, 'timeout' otherwise. */
export async function valueWithin<T>(p: Promise<T>, ms: number): Promise<{ readonly value: T } | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ value }), (err: unknown) => (err instanceof Error ? err : new Error(String(err)))), limit]);
  } finally {
    clearTimeout(timer);
  }
}
