/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Bundles the dashboard page for the browser (the last step of the orchestrator's
 * `npm run build`, as `node dist/dashboard/buildWeb.js`): the app, Preact, uPlot and the
 * protocol core, with node:crypto aliased to web/crypto/nodeCryptoShim.ts and Buffer injected,
 * into orchestrator/dist/dashboard/web. Nothing is loaded from a CDN: the page works offline.
 * Build-time only: nothing else imports this module, so esbuild stays a devDependency.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

/** The orchestrator package folder, from src/dashboard or dist/dashboard alike. */
const PACKAGE_DIR = path.resolve(__dirname, '..', '..');
const WEB_SRC = path.join(PACKAGE_DIR, 'src', 'dashboard', 'web');
const OUT = path.join(PACKAGE_DIR, 'dist', 'dashboard', 'web');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const shim = path.join(WEB_SRC, 'crypto', 'nodeCryptoShim.ts');
  const result = await build({
    entryPoints: [path.join(WEB_SRC, 'ui', 'main.ts')],
    outfile: path.join(OUT, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    alias: { 'node:crypto': shim, crypto: shim },
    inject: [path.join(WEB_SRC, 'crypto', 'bufferPolyfill.ts')],
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfig: path.join(PACKAGE_DIR, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(path.join(WEB_SRC, 'index.html'), path.join(OUT, 'index.html'));
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  writeFileSync(path.join(OUT, 'app.css'), `${uplotCss}\n${readFileSync(path.join(WEB_SRC, 'app.css'), 'utf8')}`);
  const bytes = result.metafile.outputs[path.relative(process.cwd(), path.join(OUT, 'app.js'))]?.bytes;
  process.stdout.write(`dashboard page bundled: ${path.join(OUT, 'app.js')}${bytes === undefined ? '' : ` (${Math.round(bytes / 1024)} KiB)`}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
