// Builds the console (and, below, the field app /m/) into dist/: esbuild bundles src/main.js (OpenLayers
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

// The field app (/m/): m/app.js bundled into dist/m/app.js + app.css (no
// map library: a canvas renderer of the API's GeoJSON), index.html with
// content hashes, and sw.js carrying the shell's file list and a version
// made from every shell file, so a new binary installs a new cache.
const mout = 'dist/m';
rmSync(mout, { recursive: true, force: true });
mkdirSync(mout, { recursive: true });
await esbuild.build({
  entryPoints: { app: 'm/app.js' },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: mout,
  legalComments: 'linked',
  logLevel: 'warning',
});
const statics = ['manifest.webmanifest', 'icon.svg', 'icon-192.png', 'icon-512.png'];
for (const f of statics) writeFileSync(`${mout}/${f}`, readFileSync(`m/${f}`));
const jsV = hash(`${mout}/app.js`);
const cssV = hash(`${mout}/app.css`);
writeFileSync(`${mout}/index.html`, readFileSync('m/index.html', 'utf8')
  .replace('src="app.js"', `src="app.js?v=${jsV}"`)
  .replace('href="app.css"', `href="app.css?v=${cssV}"`));
const shell = ['./', `app.js?v=${jsV}`, `app.css?v=${cssV}`, ...statics];
const version = createHash('sha256').update(shell.join('\n')).update(readFileSync(`${mout}/index.html`))
  .update(statics.map((f) => readFileSync(`${mout}/${f}`)).join('')).digest('hex').slice(0, 12);
writeFileSync(`${mout}/sw.js`, readFileSync('m/sw.js', 'utf8')
  .replace('__VERSION__', version)
  .replace('__SHELL__', JSON.stringify(shell)));
console.log('built', mout, 'version', version);
