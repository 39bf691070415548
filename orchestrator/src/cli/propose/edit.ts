/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt propose --edit`: the configuration in force opened in the operator's editor, as
 * `git commit` and `crontab -e` do it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliError, UsageError } from '../errors';

/** The operator's editor: a command line, and the variable it came from (for messages). */
export interface Editor {
  readonly command: string;
  readonly variable: 'VISUAL' | 'EDITOR';
}

/**
 * The editor named by `$VISUAL`, else `$EDITOR` (the order of git, crontab and less: VISUAL is
 * the full-screen editor a terminal session prefers).
 *
 * @throws {@link UsageError} when neither is set, saying how to set one.
 */
export function editorFromEnv(env: NodeJS.ProcessEnv): Editor {
  for (const variable of ['VISUAL', 'EDITOR'] as const) {
    const command = env[variable]?.trim();
    if (command !== undefined && command !== '') return { command, variable };
  }
  throw new UsageError('--edit needs an editor: set EDITOR (or VISUAL) to one that waits until you close the file, e.g. EDITOR=vi or EDITOR="code --wait"');
}

/** Characters that make git hand its editor to the shell; a plain program name runs directly. */
const SHELL_SYNTAX = /[|&;<>()$`\\"' \t\n*?[#~=%]/;

/**
 * Runs the editor on a file and waits for it.
 *
 * @throws {@link UsageError} when it cannot be started; {@link CliError} when it fails.
 */
function runEditor(editor: Editor, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The environment $EDITOR was read from, passed explicitly: under a test runner's sandbox it
    // is not the one child_process would default to.
    const options = { stdio: 'inherit', env: process.env } as const;
    // As git does it: `code --wait` or a quoted path goes through sh, which splits it as the
    // operator's shell would; the file comes in as "$1", so that its name is never parsed.
    const child = SHELL_SYNTAX.test(editor.command)
      ? spawn('/bin/sh', ['-c', `${editor.command} "$@"`, editor.command, file], options)
      : spawn(editor.command, [file], options);
    child.once('error', (err) => {
      reject(new UsageError(`cannot start the editor \`${editor.command}\` ($${editor.variable}): ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}${code === 127 ? ' (command not found?)' : ''}`;
      reject(new CliError(`the editor \`${editor.command}\` ($${editor.variable}) ${how}: nothing proposed`));
    });
  });
}

/**
 * Writes `text` to a private temporary file, runs the editor on it, and returns what the file
 * holds when the editor exits. The file and its folder are removed afterwards, also on failure.
 *
 * @param fileName - the file's name (its `.json` extension lets editors highlight it).
 * @throws {@link UsageError} when the editor cannot be started; {@link CliError} when it exits
 *   with a failure (nothing is read back then).
 */
export async function editText(text: string, editor: Editor, fileName = 'configuration.json'): Promise<string> {
  // mkdtemp makes the folder 0700: the configuration stays private even when the editor saves by
  // writing a new file under the name, with the mode of its choosing.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mgmt-propose-'));
  try {
    const file = path.join(dir, fileName);
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    await runEditor(editor, file);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
