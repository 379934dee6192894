/** Writes the console's `index.html`, `app.js` (+ map), `app.css` and `favicon.svg` into `outDir`. */
export function buildConsole(outDir: string): Promise<void>;
