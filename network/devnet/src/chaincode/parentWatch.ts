/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode servers die with the devnet. Node has no prctl(PR_SET_PDEATHSIG), so the launcher
 * (./launcher.ts) gives each chaincode process a pipe on stdin and preloads this small watch: when
 * the pipe ends or closes (the devnet exited, even by SIGKILL, and the kernel closed its end), the
 * process exits.
 * The chaincode's own code is not touched: the watch is a preload (`node --import <watch>`), given
 * inline as a data: URL so that it works from the compiled package and from the TypeScript sources
 * alike, and so that /proc/<pid>/cmdline names it (see {@link PARENT_WATCH_MARKER}).
 */

/** Appears in the command line of every chaincode server the launcher starts. */
export const PARENT_WATCH_MARKER = 'fabric-devnet-parent-watch';

/** Exit code of a chaincode server that left because the devnet is gone. */
export const PARENT_GONE_EXIT_CODE = 0;

// Plain JavaScript run before the shim's cli.js. stdin is unref'd: it never keeps a server alive
// that would otherwise end, and still reports the end of the pipe while the server runs.
const SOURCE =
  `/*${PARENT_WATCH_MARKER}*/` +
  'const s=process.stdin;' +
  `const bye=()=>process.exit(${PARENT_GONE_EXIT_CODE});` +
  's.on("end",bye);s.on("close",bye);s.on("error",bye);' +
  's.resume();' +
  'if(typeof s.unref==="function")s.unref();';

/** The node options that install the watch; put them before the script. The process needs `stdio[0] = 'pipe'`. */
export function parentWatchNodeArgs(): string[] {
  return ['--import', `data:text/javascript,${encodeURIComponent(SOURCE)}`];
}
