// "did you mean …?": the known names closest to a mistyped one, by edit distance.

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known names nearest to `wanted` (at most `limit`), when near enough to be a
 * typo: within a third of the name's length, and never more than 4 edits.
 */
export function closeNames(wanted: string, known: Iterable<string>, limit = 3): string[] {
  const allowed = Math.min(4, Math.max(1, Math.floor(wanted.length / 3)));
  const scored = [...new Set(known)]
    .filter((name) => name !== wanted)
    .map((name) => ({ name, distance: editDistance(wanted, name) }))
    .filter((s) => s.distance <= allowed);
  scored.sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/** " (did you mean a or b?)", or "" when nothing is close. */
export function didYouMean(wanted: string, known: Iterable<string>): string {
  const close = closeNames(wanted, known);
  if (close.length === 0) return '';
  const list = close.length === 1 ? close[0] : `${close.slice(0, -1).join(', ')} or ${close.at(-1)}`;
  return `; did you mean ${list}?`;
}
