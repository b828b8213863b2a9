// Colours of the plots: a palette that reads on light and dark backgrounds, and
// the theme's text and grid colours taken from the CSS variables.
export const palette = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#64748b',
  '#ea580c',
];

export function themeColors(): { text: string; grid: string } {
  const css = getComputedStyle(document.documentElement);
  return {
    text: css.getPropertyValue('--muted').trim() || '#5b6576',
    grid: css.getPropertyValue('--border').trim() || '#dde1e8',
  };
}
