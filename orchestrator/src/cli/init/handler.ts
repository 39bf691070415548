/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { validateConfig, validateParams } from 'mgmt-chaincode/dist/protocol';
import { genesisInput, membersFromConnection } from '../../managementNode/genesis';
import type { GenesisInput } from '../../managementNode/genesis';
import { DEFAULT_PRIMARY_CONFIG } from '../../twins/primaryConfig';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { readJsonObject } from '../input';
import type { InitOptions } from './options';

function fromFile(ctx: CliContext, file: string): GenesisInput {
  const input = readJsonObject(file, 'genesis input', ctx.ioOptions.readStdin);
  const extra = Object.keys(input).filter((k) => k !== 'params' && k !== 'config');
  if (extra.length > 0 || !('params' in input) || !('config' in input)) {
    throw new UsageError(`the genesis input ${file} must have exactly the fields "params" and "config"`);
  }
  const params = validateParams(input.params);
  return { params, config: validateConfig(input.config, params.configSchema) };
}

/**
 * `mgmt init`: opens the genesis proposal (InitLedger) as the selected member.
 *
 * @throws {@link UsageError} for unreadable inputs; {@link MgmtError} when the parameters or the
 * configuration are invalid (checked before submitting); {@link LedgerCallError} from InitLedger.
 */
export async function initHandler(ctx: CliContext, options: InitOptions): Promise<void> {
  let input: GenesisInput;
  if (options.params !== undefined) {
    input = fromFile(ctx, options.params);
  } else {
    const connection = ctx.connection();
    const config: JsonObject = options.config === undefined ? { ...DEFAULT_PRIMARY_CONFIG } : readJsonObject(options.config, 'configuration', ctx.ioOptions.readStdin);
    input = genesisInput(membersFromConnection(connection), {
      cbiSeconds: options.cbi,
      cycleTimeoutSeconds: options.cycleTimeout,
      clockToleranceSeconds: options.clockTolerance,
      configSchema: readJsonObject(options.schema, 'schema'),
      config,
    });
  }
  const paramsJson = JSON.stringify(input);
  if (options.dryRun === true) {
    ctx.print(JSON.stringify(input, null, 2), input);
    return;
  }
  ctx.verbose(`InitLedger ${paramsJson}`);
  const proposal = await ctx.withSession((s) => s.ledger.initLedger(paramsJson));
  const members = input.params.members.map((m) => m.mspId);
  ctx.print(
    [
      `genesis proposal ${proposal.id} opened by ${proposal.header.proposer}, open until ${proposal.cycleEndsAt}`,
      `members: ${members.join(', ')}; CBI ${input.params.cbiSeconds} s, cycle ${input.params.cycleTimeoutSeconds} s; config ${JSON.stringify(input.config)}`,
      `next: a quorum approves (\`mgmt --member <mspId> vote ${proposal.id} --approve\`), then \`mgmt tally ${proposal.id}\``,
    ],
    proposal,
  );
}
