/** A module (or anything async) loaded on first use. */

/** `load`'s promise, made on the first call and shared by every later one (made again after a failure). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load().catch((err: unknown) => {
    loaded = undefined;
    throw err;
  }));
}
