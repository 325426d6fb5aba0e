/** Lists of API objects, by id, as the screens keep them. */

interface WithId {
  id: string;
}

/** `list` with `item` in the place of the one with its id, or at the end if there is none. */
export function upsertById<T extends WithId>(list: readonly T[] | undefined, item: T): T[] {
  const current = list ?? [];
  return current.some((x) => x.id === item.id)
    ? current.map((x) => (x.id === item.id ? item : x))
    : [...current, item];
}

/** `list` with `change` applied to the one with id `id`. */
export function patchById<T extends WithId>(
  list: readonly T[] | undefined,
  id: string,
  change: Partial<T>,
): T[] {
  return (list ?? []).map((x) => (x.id === id ? { ...x, ...change } : x));
}

/** `list` followed by those of `more` it does not have yet (a page may repeat what a refetch brought). */
export function appendById<T extends WithId>(list: readonly T[], more: readonly T[]): T[] {
  const known = new Set(list.map((x) => x.id));
  return [...list, ...more.filter((x) => !known.has(x.id))];
}
