/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the management node asks its digital twin, and what it checks itself first: the twin
 * decides the configuration the node proposes and judges the others' proposals (Algorithm 1),
 * but a proposal that is not the valid one of the current cycle gets no vote at all, and one
 * outside the genesis schema is rejected without asking. Every answer is cut at the earlier of
 * the twin timeout and the cycle's end. A configuration the `primary` channel could not run
 * (Fabric would refuse the update) is neither proposed nor approved: it is checked first, on its
 * own (channel-model shape, policy expressions, capability names) and against the channel.
 */
import { channelModelProblems, isChannelModel } from 'fabric-config/configtx';
import { managementSectionProblems, primaryPartOf } from '../primary/cbModel';
import type { ConfigBlock, GenesisParams, JsonObject, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { canonicalJson, hashHeader, membershipChange, membershipChangeProblem, messageOf, parseIsoMillis, validateConfig } from 'mgmt-chaincode/dist/protocol';
import { TwinError } from '../twins/errors';
import { NO_METRICS } from '../twins/metrics';
import type { DigitalTwin, ParamsChange, PrimaryMetrics, TwinState, Verdict } from '../twins/twin';
import type { Clock } from './clock';

/** Options of {@link TwinConsultation}. */
export interface TwinConsultationOptions {
  readonly twin: DigitalTwin;
  readonly clock: Clock;
  /** Longest a twin may take, ms (it is also cut at the cycle's end). */
  readonly timeoutMs: number;
  /** The member's metrics of the primary channel, fed to the twin; none by default. */
  readonly metrics?: () => PrimaryMetrics;
  /** Why the primary channel cannot run a configuration (primary/channelCheck.ts); not asked by default. */
  readonly channelCheck?: (config: JsonObject) => Promise<string | undefined>;
}

/** What the node knows when it asks for a verdict. */
export interface VerdictContext {
  /** The node's own member. */
  readonly self: string;
  /** The genesis params, once known (their schema bounds every configuration). */
  readonly params: GenesisParams | undefined;
  /** The latest block the node knows. */
  readonly latest: ConfigBlock | undefined;
}

/** Why a proposal is not the valid proposal of the current cycle, if it is not. */
export function problemWith(proposal: Proposal, round: Round): string | undefined {
  const h = proposal.header;
  if (proposal.id !== proposal.hash || hashHeader(h) !== proposal.hash) return 'its hash does not match its header';
  if (h.height !== round.nextHeight) return `height ${h.height}, expected ${round.nextHeight}`;
  if (h.prevHash !== round.latestHash) return 'it does not extend the latest block';
  if (h.cycle !== round.cycle) return `cycle ${h.cycle}, current ${String(round.cycle)}`;
  if (h.proposer !== round.expectedProposer) return `proposer ${h.proposer}, expected ${String(round.expectedProposer)}`;
  return undefined;
}

/** Why a proposal's configuration is outside the genesis schema, if it is (nothing to say before the params are known). */
export function configProblem(proposal: Proposal, params: GenesisParams | undefined): string | undefined {
  if (params === undefined) return undefined;
  try {
    validateConfig(proposal.header.config, params.configSchema);
    return undefined;
  } catch (err) {
    return messageOf(err);
  }
}

/** Why a channel model is malformed (nothing to say of the two batch values of older chains). */
export function modelProblem(config: JsonObject): string | undefined {
  if (!isChannelModel(config)) return undefined;
  const problems = [...channelModelProblems(primaryPartOf(config)), ...managementSectionProblems(config)];
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * What a params change changes, in words: the members added, removed and given another CA, and
 * which other fields (CBI, cycle timeout, clock tolerance, schema) change.
 */
export function describeParamsChange(inForce: GenesisParams, next: GenesisParams): string {
  const change = membershipChange(inForce, next);
  const parts = [
    ...change.added.map((id) => `admits ${id}`),
    ...change.removed.map((id) => `removes ${id}`),
    ...change.rotated.map((id) => `replaces the CA of ${id}`),
  ];
  for (const key of ['cbiSeconds', 'cycleTimeoutSeconds', 'clockToleranceSeconds'] as const) {
    if (inForce[key] !== next[key]) parts.push(`${key} ${String(inForce[key])} -> ${String(next[key])}`);
  }
  if (canonicalJson(inForce.configSchema) !== canonicalJson(next.configSchema)) parts.push('changes the configuration schema');
  return parts.length > 0 ? parts.join(', ') : 'restates the params in force';
}

/** The node's digital twin, asked with a deadline. */
export class TwinConsultation {
  private readonly options: Readonly<TwinConsultationOptions>;

  constructor(options: Readonly<TwinConsultationOptions>) {
    this.options = options;
  }

  /** The twin's view: the member's metrics, the configuration in force and its height. */
  state(latest: ConfigBlock | undefined): TwinState {
    return {
      metrics: this.options.metrics?.() ?? { ...NO_METRICS },
      current: { ...(latest?.config ?? {}) },
      height: latest?.height ?? -1,
    };
  }

  /**
   * The configuration the twin proposes.
   *
   * @throws {@link TwinError} `TWIN_TIMEOUT` past the deadline, and whatever the twin throws.
   */
  async decide(latest: ConfigBlock | undefined, deadlineMs: number): Promise<Record<string, unknown>> {
    const config = await this.ask(() => this.options.twin.decide(this.state(latest)), deadlineMs, 'decide');
    const problem = await this.fabricProblem(config as JsonObject);
    if (problem !== undefined) throw new TwinError('TWIN_BAD_ANSWER', this.options.twin.name, `not proposing a configuration the primary channel would refuse: ${problem}`);
    return config;
  }

  /**
   * The params the twin proposes with its configuration, or undefined to keep those in force.
   *
   * @throws {@link TwinError} `TWIN_TIMEOUT` past the deadline, `TWIN_BAD_ANSWER` for params that
   * break the membership safety rules, and whatever the twin throws.
   */
  async decideParams(latest: ConfigBlock | undefined, inForce: GenesisParams | undefined, deadlineMs: number): Promise<GenesisParams | undefined> {
    const { twin } = this.options;
    if (twin.decideParams === undefined || inForce === undefined) return undefined;
    const params = await this.ask(() => (twin.decideParams as NonNullable<DigitalTwin['decideParams']>)(inForce, this.state(latest)), deadlineMs, 'decide');
    if (params === undefined) return undefined;
    const problem = membershipChangeProblem(inForce, params);
    if (problem !== undefined) throw new TwinError('TWIN_BAD_ANSWER', twin.name, `not proposing params that break the membership rules: ${problem}`);
    return params;
  }

  /** Why Fabric would refuse a configuration: the model itself, then the channel as it is now. */
  private async fabricProblem(config: JsonObject): Promise<string | undefined> {
    return modelProblem(config) ?? (await this.options.channelCheck?.(config));
  }

  /**
   * The node's verdict on a proposal of the current cycle: rejected without asking when it is
   * outside the genesis schema, approved when it is the node's own, else the twin's.
   *
   * @throws {@link TwinError} `TWIN_TIMEOUT` past the cycle's end, and whatever the twin throws.
   */
  async verdict(proposal: Proposal, context: VerdictContext): Promise<Verdict> {
    const problem = configProblem(proposal, context.params);
    if (problem !== undefined) return { approve: false, reason: `outside the genesis schema: ${problem}` };
    const refusal = await this.fabricProblem(proposal.header.config);
    if (refusal !== undefined) return { approve: false, reason: `the primary channel would refuse it: ${refusal}` };
    if (proposal.header.proposer === context.self) return { approve: true, reason: 'own proposal' };
    const endsAt = parseIsoMillis(proposal.cycleEndsAt) ?? this.options.clock.now();
    const params = proposal.header.params;
    // Genesis proposes the first params; any later ones change who decides, and a twin that
    // judges only configurations must not approve that by default.
    if (params !== undefined && proposal.header.height > 0 && context.params === undefined) {
      return { approve: false, reason: 'the proposal changes the params, and the params in force are not known yet to compare them' };
    }
    if (params !== undefined && proposal.header.height > 0 && context.params !== undefined) {
      const change: ParamsChange = { params, inForce: context.params, summary: describeParamsChange(context.params, params) };
      const { twin } = this.options;
      if (twin.validateParams === undefined) {
        return { approve: false, reason: `the proposal changes the params (${change.summary}); the ${twin.name} twin does not judge params changes: an operator decides them (mgmt vote, or an operator twin with --members-file)` };
      }
      const verdict = await this.ask(() => (twin.validateParams as NonNullable<DigitalTwin['validateParams']>)(change, this.state(context.latest)), endsAt, 'validate');
      if (!verdict.approve) return verdict;
    }
    return this.ask(() => this.options.twin.validate({ ...proposal.header.config }, this.state(context.latest)), endsAt, 'validate');
  }

  /** A twin's answer, cut at the earlier of the twin timeout and the deadline. */
  private ask<T>(question: () => Promise<T>, deadlineMs: number, op: 'decide' | 'validate'): Promise<T> {
    const { clock, twin } = this.options;
    const answer = question();
    const ms = Math.max(0, Math.min(this.options.timeoutMs, deadlineMs - clock.now()));
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        reject(new TwinError('TWIN_TIMEOUT', twin.name, `no ${op} answer before ${ms} ms (twin timeout or end of cycle)`));
      }, ms);
      answer.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
