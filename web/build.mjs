// Builds the console into dist/: esbuild bundles src/main.js (OpenLayers
// included) into dist/assets/app.js + app.css, and index.html gets their
// content hashes so a new binary never serves a stale cached bundle.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';

const out = 'dist/assets';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await esbuild.build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: out,
  legalComments: 'linked',
  logLevel: 'warning',
});

const hash = (f) => createHash('sha256').update(readFileSync(f)).digest('hex').slice(0, 10);
const html = readFileSync('src/index.html', 'utf8')
  .replace('assets/app.js', `assets/app.js?v=${hash(`${out}/app.js`)}`)
  .replace('assets/app.css', `assets/app.css?v=${existsSync(`${out}/app.css`) ? hash(`${out}/app.css`) : '0'}`);
writeFileSync('dist/index.html', html);
console.log('built dist/index.html and', out);
