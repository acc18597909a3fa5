// Bundles the playground (GraphiQL, React, Monaco and its workers) into dist/playground, so the
// page served at GET /graphql needs nothing from outside the server. Run by `npm run build`.
import { build } from 'esbuild';
import { rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '..', 'dist', 'playground');
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  minify: true,
  target: 'es2022',
  logLevel: 'warning',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Fonts and images are inlined: the page makes no request but for these files.
  loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
};

// Skipped when nothing it is made from changed (`npm start` builds every time); --force rebuilds.
const stamp = path.join(outdir, '.built');
const inputs = ['index.jsx', 'examples.js', 'build.mjs'].map((file) => path.join(here, file)).concat(path.resolve(here, '..', 'package-lock.json'));
const mtime = (file) =>
  stat(file).then(
    (s) => s.mtimeMs,
    () => null,
  );
const built = await mtime(stamp);
if (!process.argv.includes('--force') && built !== null && (await Promise.all(inputs.map(mtime))).every((m) => m !== null && m <= built)) {
  process.exit(0);
}

await rm(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { graphiql: path.join(here, 'index.jsx') },
  outdir,
  format: 'iife',
  jsx: 'automatic',
});
await build({
  ...common,
  entryPoints: {
    'editor.worker': require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
    'json.worker': require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
    'graphql.worker': require.resolve('monaco-graphql/esm/graphql.worker.js'),
  },
  outdir,
  format: 'iife',
});
await writeFile(stamp, `${new Date().toISOString()}\n`);
console.log(`playground bundled into ${path.relative(process.cwd(), outdir) || outdir}`);
