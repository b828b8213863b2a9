// Whether the operating system (or the browser) asks for the dark theme now. The
// CSS follows on its own; canvases (plots) read their colours once and are redrawn
// when this changes.
const query = window.matchMedia('(prefers-color-scheme: dark)');

export const colorScheme = $state({ dark: query.matches });

query.addEventListener('change', (event) => (colorScheme.dark = event.matches));
