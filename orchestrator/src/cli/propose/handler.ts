/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { ConfigBlock, GenesisParams, JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseIJson, quorum } from 'mgmt-chaincode/dist/protocol';
import { isChannelModel as isModel } from 'fabric-config/configtx';
import type { CliContext, MemberSession } from '../context';
import { CliError, InterruptedExit, UsageError } from '../errors';
import { readJsonObject, readJsonValue } from '../input';
import { configChanges, formatChange } from './changes';
import { checkConfiguration, sessionChannelReader } from './checks';
import { editorFromEnv, editText } from './edit';
import type { Editor } from './edit';
import { changesParams, newParams, readOrgFile } from './membership';
import type { ProposeOptions } from './options';
import { applyConfigPatch, parsePatch } from './patch';
import { retirementEntries, rotationEntries, withOrganizationEntries } from './rotation';
import type { PatchOperation } from './patch';

/** Where the configuration comes from, read and checked as far as it can be without the network. */
type Source =
  | { readonly kind: 'inForce' }
  | { readonly kind: 'file'; readonly config: JsonObject }
  | { readonly kind: 'patch'; readonly operations: readonly PatchOperation[] }
  | { readonly kind: 'edit'; readonly editor: Editor };

function sourceOf(ctx: CliContext, file: string | undefined, options: ProposeOptions): Source {
  const given = [file !== undefined, options.edit === true, options.patch !== undefined].filter(Boolean).length;
  // A membership change may keep the configuration in force as it is.
  if (given === 0 && (changesParams(options) || (options.retireCa?.length ?? 0) > 0)) return { kind: 'inForce' };
  if (given !== 1) {
    throw new UsageError(`give exactly one of <configFile> (a whole configuration), --edit or --patch <file>${given === 0 ? '' : ', not several'}`);
  }
  if (options.params === '-' && (file === '-' || options.patch === '-')) throw new UsageError('only one input can come from stdin: give the params or the configuration as a file');
  const stdin = ctx.ioOptions.readStdin;
  if (file !== undefined) return { kind: 'file', config: readJsonObject(file, 'configuration', stdin) };
  if (options.patch !== undefined) {
    return { kind: 'patch', operations: parsePatch(readJsonValue(options.patch, 'JSON Patch', stdin), options.patch === '-' ? '(stdin)' : options.patch) };
  }
  return { kind: 'edit', editor: editorFromEnv(process.env) };
}

/**
 * Keeps an edit that cannot be proposed, so that the operator's work is not lost with the
 * private temporary file: a file of its own (0600) they fix and propose with `mgmt propose <file>`.
 */
function keepEdit(text: string, height: number): string {
  const file = path.join(os.tmpdir(), `mgmt-propose-cb${height}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

const kept = (file: string): string => `; nothing proposed (your edit is kept in ${file}: fix it and run \`mgmt propose ${file}\`)`;

/** Parses what the operator saved: an object, or a usage error (exit 2) like any other malformed input. */
function parseEdited(text: string, height: number): JsonObject {
  let value: JsonValue;
  try {
    value = parseIJson(text, 'configuration');
  } catch (err) {
    throw new UsageError(`the edited configuration is not valid JSON: ${(err as Error).message}${kept(keepEdit(text, height))}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`the edited configuration must be a JSON object${kept(keepEdit(text, height))}`);
  return value;
}

async function edited(ctx: CliContext, s: MemberSession, latest: ConfigBlock, editor: Editor): Promise<JsonObject> {
  ctx.progress(`editing the configuration of CB #${latest.height} with \`${editor.command}\` ($${editor.variable}): save and close to propose it, close without a change to propose nothing`);
  const text = await editText(`${JSON.stringify(latest.config, null, 2)}\n`, editor, `cb-${latest.height}-config.json`);
  if (ctx.ioOptions.signal?.aborted === true) throw new InterruptedExit();
  const config = parseEdited(text, latest.height);
  // As `git commit` with an empty message: the operator chose not to propose, which a script must
  // not mistake for a proposal made (exit 1, `mgmt propose --edit && mgmt round` stops here).
  if (configChanges(latest.config, config).length === 0) throw new CliError('nothing changed, nothing proposed');
  // The proposal is a whole configuration: one edited from a CB that is no longer the latest would
  // undo what the newer CB changed.
  const now = await s.ledger.getLatest();
  if (now.hash !== latest.hash) {
    throw new CliError(`CB #${now.height} was sealed while you edited the configuration of CB #${latest.height}; nothing proposed: run mgmt propose --edit again`);
  }
  return config;
}

/** fabric-config's test (`"version": 2`), narrowing the candidate's type. */
function isChannelModel(value: JsonValue): value is JsonObject {
  return isModel(value);
}

/**
 * The candidate with the organisations the membership options change on the channels: the one
 * `--add-org` admits, the new roots of `--rotate-ca`, the old roots `--retire-ca` drops.
 */
async function withOrganizationChanges(
  ctx: CliContext,
  s: MemberSession,
  candidate: JsonValue,
  options: ProposeOptions,
  params: { inForce: GenesisParams; next: GenesisParams | undefined; rotated: readonly string[] },
): Promise<JsonValue> {
  const { rotated } = params;
  const retiring = options.retireCa ?? [];
  const both = retiring.filter((id) => rotated.includes(id));
  if (both.length > 0) throw new UsageError(`--rotate-ca and --retire-ca of ${both.join(', ')} in one CB: retire the old CA in a later CB, once ${both.join(', ')}'s nodes and users hold certificates of the new one`);
  const entries: Record<string, JsonObject> = {};
  if (options.addOrg !== undefined) {
    // The organisation joins primary in the same CB that admits it as a member.
    const { organization } = readOrgFile(options.addOrg);
    if (!isChannelModel(candidate)) throw new CliError('--add-org needs a chain of channel models ("version": 2): this configuration cannot carry an organisation; use --add-member');
    entries[organization.mspId] = organization as unknown as JsonObject;
  }
  if (rotated.length > 0 || retiring.length > 0) {
    if (!isChannelModel(candidate)) {
      if (retiring.length > 0) throw new CliError('--retire-ca needs a chain of channel models ("version": 2): change the organisation\'s MSP on the channels yourself');
      ctx.progress(`the configuration is not a channel model: this CB changes the CA in the params only; add the new root to ${rotated.join(', ')}'s MSP on the channels yourself`);
    } else {
      const channelId = s.connection.channels.primary;
      const channel = await sessionChannelReader(s)();
      Object.assign(entries, rotationEntries(channel, channelId, rotated, params.next ?? params.inForce), retirementEntries(channel, channelId, retiring, params.inForce));
    }
  }
  if (Object.keys(entries).length === 0 || !isChannelModel(candidate)) return candidate;
  return withOrganizationEntries(candidate, entries);
}

/**
 * `mgmt propose [<configFile|->] [--edit | --patch <file|->] [--dry-run]`: proposes a
 * configuration as the selected member: a whole one, or the one in force (the latest CB's)
 * edited or patched. It is checked first, and what it changes is shown. With `--params`,
 * `--add-member`, `--remove-member` or `--rotate-ca` the CB also changes the management
 * parameters (`ProposeParams`), in force from the next height; the configuration may then stay
 * the one in force.
 *
 * @throws {@link UsageError} for malformed input (unreadable, not JSON, not a JSON Patch, no
 *   editor); {@link CliError} when the patch does not apply, the editor fails or changes nothing,
 *   or a check refuses the result; {@link LedgerCallError} from the ledger (e.g. `MGMT_NOT_PROPOSER`).
 */
export async function proposeHandler(ctx: CliContext, file: string | undefined, options: ProposeOptions): Promise<void> {
  // Local input first: a bad file or a missing editor fails before anything connects.
  const source = sourceOf(ctx, file, options);
  await ctx.withSession(async (s) => {
    const [latest, params] = await Promise.all([s.ledger.getLatest(), s.ledger.getParams()]);
    let candidate: JsonValue;
    switch (source.kind) {
      case 'inForce':
        candidate = latest.config;
        break;
      case 'file':
        candidate = source.config;
        break;
      case 'patch':
        candidate = applyConfigPatch(latest.config, source.operations);
        break;
      case 'edit':
        candidate = await edited(ctx, s, latest, source.editor);
        break;
    }
    const membership = changesParams(options) ? newParams(options, params, ctx.ioOptions.readStdin) : undefined;
    candidate = await withOrganizationChanges(ctx, s, candidate, options, { inForce: params, next: membership?.params, rotated: membership?.change.rotated ?? [] });
    ctx.verbose(`checking against the genesis schema and channel ${s.connection.channels.primary} (orderer ${s.member.orderer.endpoint})`);
    let config: JsonObject;
    try {
      config = await checkConfiguration(candidate, {
        schema: params.configSchema,
        channelId: s.connection.channels.primary,
        readChannel: sessionChannelReader(s),
        management: { channelId: s.connection.channels.management, readChannel: sessionChannelReader(s, s.connection.channels.management) },
        warn: (line) => {
          ctx.progress(line);
        },
      });
    } catch (err) {
      if (source.kind !== 'edit' || !(err instanceof CliError)) throw err;
      throw new CliError(`${err.message.replace(/; nothing proposed$/, '')}${kept(keepEdit(`${JSON.stringify(candidate, null, 2)}\n`, latest.height))}`, { cause: err });
    }
    const changes = configChanges(latest.config, config);
    if (!ctx.globals.json) {
      if (changes.length === 0) ctx.progress(`no change to the configuration of CB #${latest.height}`);
      else ctx.progress([`changes to the configuration of CB #${latest.height}:`, ...changes.map((c) => `  ${formatChange(c)}`)].join('\n'));
    }
    if (membership !== undefined && !ctx.globals.json) {
      const { added, removed, rotated } = membership.change;
      const n = membership.params.members.length;
      ctx.progress(
        `params from the next height: ${n} members (${membership.params.members.map((m) => m.mspId).join(', ')}), quorum ${quorum(n)}` +
          `${added.length > 0 ? `; admitted ${added.join(', ')}` : ''}${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}${rotated.length > 0 ? `; CA rotated for ${rotated.join(', ')}` : ''}`,
      );
    }
    if (options.dryRun === true) {
      ctx.print(
        ['dry run: the configuration passes the checks; nothing proposed', `config ${JSON.stringify(config)}`],
        { dryRun: true, basedOn: { height: latest.height, hash: latest.hash }, config, changes, ...(membership === undefined ? {} : { params: membership.params, membership: membership.change }) },
      );
      return;
    }
    ctx.verbose(`Propose ${JSON.stringify(config)}`);
    const proposal = membership === undefined ? await s.ledger.propose(config) : await s.ledger.proposeParams(config, membership.params);
    ctx.print(
      [
        `proposal ${proposal.id} for CB #${proposal.header.height} (cycle ${proposal.header.cycle}) by ${proposal.header.proposer}, open until ${proposal.cycleEndsAt}`,
        `config ${JSON.stringify(proposal.header.config)}`,
      ],
      { ...proposal, changes },
    );
  });
}
