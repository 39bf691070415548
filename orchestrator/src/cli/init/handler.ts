/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { validateConfig, validateParams } from 'mgmt-chaincode/dist/protocol';
import { genesisInput, membersFromConnection } from '../../managementNode/genesis';
import type { GenesisInput } from '../../managementNode/genesis';
import { SigningIdentity } from 'fabric-config/msp';
import { newGrpcConnection } from '../../gateway';
import { readLiveChannelModel } from '../../primary/channelCheck';
import { DEFAULT_PRIMARY_CONFIG, isModelSchema } from '../../twins/primaryConfig';
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
    const configSchema = readJsonObject(options.schema, 'schema');
    let config: JsonObject;
    if (options.config !== undefined) {
      config = readJsonObject(options.config, 'configuration', ctx.ioOptions.readStdin);
    } else if (isModelSchema(configSchema)) {
      // The first CB states what the channel already runs: governance starts from the truth.
      const member = ctx.member(connection);
      ctx.progress(`reading the governed configuration of ${connection.channels.primary} from ${member.orderer.endpoint}`);
      try {
        config = (await readLiveChannelModel({
          connect: () => newGrpcConnection(member.orderer),
          channelId: connection.channels.primary,
          signer: SigningIdentity.fromMspDir(member.userMspDir, member.mspId),
        })) as unknown as JsonObject;
      } catch (err) {
        throw new UsageError(`cannot read the configuration of channel ${connection.channels.primary} (${(err as Error).message}); start the network, or give the initial configuration with --config <file>`);
      }
    } else {
      config = { ...DEFAULT_PRIMARY_CONFIG };
    }
    input = genesisInput(membersFromConnection(connection), {
      cbiSeconds: options.cbi,
      cycleTimeoutSeconds: options.cycleTimeout,
      clockToleranceSeconds: options.clockTolerance,
      configSchema,
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
