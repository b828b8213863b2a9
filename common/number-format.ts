// How a decoded number is shown, shared by the UI (renderer/src/lib/format.ts
// re-exports it) and `hubscope inspect`, so both print the same digits. Pure: no
// Node or DOM imports, so the renderer bundle can include it.

/** A measured value: integers whole, large values (epoch seconds) to the millisecond, others to 6 digits. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1e6) return v.toFixed(3);
  return String(+v.toPrecision(6));
}
