/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A management contract whose submitted transactions are traced step by step. The gateway's
 * `submitTransaction` endorses, submits to the orderer and waits for the commit status in one
 * call; this makes the same three calls itself (as fabric-gateway's own `submit` does) so that the
 * time to the orderer and the time to the commit are seen apart: ordering is what the floor of
 * `mgmt trace` counts.
 */
import { CommitError } from '@hyperledger/fabric-gateway';
import type { Status } from '@hyperledger/fabric-gateway';
import { peer } from '@hyperledger/fabric-protos';
import type { MgmtClientOptions, MgmtContractCalls, MgmtEventSource } from '../mgmtClient/client';
import type { StepFields, Tracer } from './types';

/** The calls of a fabric-gateway `Contract` that tracing needs; a `Contract` fits. */
export interface TraceableContract {
  evaluateTransaction(name: string, ...args: string[]): Promise<Uint8Array>;
  newProposal(name: string, options: { arguments: string[] }): {
    getTransactionId(): string;
    endorse(): Promise<{
      getResult(): Uint8Array;
      submit(): Promise<{ getStatus(): Promise<Status>; getResult(): Uint8Array }>;
    }>;
  };
}

const utf8 = new TextDecoder();

type JsonRecord = Record<string, unknown>;
const isRecord = (value: unknown): value is JsonRecord => value !== null && typeof value === 'object' && !Array.isArray(value);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** What a transaction's arguments say: `Vote` and `Tally` name the proposal, `ShareUpdateSignature` the height. */
function argumentFields(name: string, args: readonly string[]): StepFields {
  if (name === 'Vote' || name === 'Tally') return { proposalId: args[0] };
  if (name === 'ShareUpdateSignature') return { height: Number(args[0]) };
  return {};
}

/**
 * What the endorsed answer says: a proposal (`Propose`, `ProposeParams`, `InitLedger`), a sealed
 * block or a failed cycle (`Tally`), a vote, an update signature. Nothing when it is not JSON.
 */
export function resultFields(bytes: Uint8Array): StepFields {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return {};
  }
  if (!isRecord(value)) return {};
  if (isRecord(value.header)) return { height: num(value.header.height), cycle: num(value.header.cycle), proposalId: str(value.id) };
  if ('proof' in value) return { height: num(value.height), cycle: num(value.cycle), proposalId: str(value.hash) };
  return { height: num(value.height), cycle: num(value.cycle), proposalId: str(value.proposalId) };
}

const validationName = (code: number): string => Object.entries(peer.TxValidationCode).find(([, value]) => value === code)?.[0] ?? String(code);

/**
 * Wraps a gateway contract so that every submitted transaction is traced: `txStarted`,
 * `txEndorsed`, `txSubmitted`, `txCommitted` (or `txFailed`), each with the transaction's name and
 * id and what it is about. Queries pass through untraced. Errors are fabric-gateway's own, as
 * `submitTransaction` throws them (an invalid commit is a `CommitError`), so the management
 * client translates them as always.
 *
 * @example
 * const network = gateway.getNetwork('mgmt');
 * const ledger = new MgmtClient({ contract: tracedContract(network.getContract('mgmt'), tracer), events: network });
 */
export function tracedContract(contract: TraceableContract, tracer: Tracer): MgmtContractCalls {
  return {
    evaluateTransaction: (name, ...args) => contract.evaluateTransaction(name, ...args),
    submitTransaction: async (name, ...args) => {
      const proposal = contract.newProposal(name, { arguments: args });
      let fields: StepFields = { tx: name, txId: proposal.getTransactionId(), ...argumentFields(name, args) };
      let stage = 'endorse';
      tracer('txStarted', fields);
      try {
        const transaction = await proposal.endorse();
        fields = { ...fields, ...resultFields(transaction.getResult()) };
        tracer('txEndorsed', fields);
        stage = 'submit';
        const submitted = await transaction.submit();
        tracer('txSubmitted', fields);
        stage = 'commit status';
        const status = await submitted.getStatus();
        if (!status.successful) {
          stage = `commit ${validationName(status.code)}`;
          throw new CommitError({
            code: status.code,
            transactionId: status.transactionId,
            message: `Transaction ${status.transactionId} failed to commit with status code ${status.code} (${validationName(status.code)})`,
          });
        }
        tracer('txCommitted', fields);
        return submitted.getResult();
      } catch (err) {
        tracer('txFailed', { ...fields, detail: stage });
        throw err;
      }
    },
  };
}

/**
 * The options of an `MgmtClient` whose transactions are traced: the contract wrapped by
 * {@link tracedContract}, and a transaction the client finds committed after its submit failed
 * with an unknown outcome traced as `txCommitted` (or `txFailed` with its validation code) after
 * the `txFailed` of the submit, so the trace says how it ended.
 *
 * @example
 * const ledger = new MgmtClient(tracedClientOptions(gateway.getNetwork('mgmt'), 'mgmt', tracer));
 */
export function tracedClientOptions(network: MgmtEventSource & { getContract(chaincodeName: string): TraceableContract }, chaincodeName: string, tracer: Tracer): MgmtClientOptions {
  return {
    contract: tracedContract(network.getContract(chaincodeName), tracer),
    events: network,
    chaincodeName,
    onCommitFound: (found) => {
      const valid = found.validationCode === peer.TxValidationCode.VALID;
      const detail = `found committed ${valid ? 'valid' : validationName(found.validationCode)} by its id after the submit failed`;
      tracer(valid ? 'txCommitted' : 'txFailed', { tx: found.transaction, txId: found.transactionId, detail });
    },
  };
}
