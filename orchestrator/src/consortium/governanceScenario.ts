/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt consortium --scenario governance`: the consortium's operators change what Fabric
 * consortia change by collecting signatures by hand today (an endorsement policy, a capability,
 * an ACL), one change at a time, through the management chain. Every member runs an operator twin
 * that reads the same file of wanted changes; the scenario writes the next change into it once
 * the previous one is in force on the primary channel, so each change is proposed, voted, sealed
 * and put in force in turn, live.
 */
import { writeFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { firstDifference, mergeModel, OperatorTwin } from '../twins/operatorTwin';
import type { DigitalTwin } from '../twins/twin';

/** One change of the scenario: a partial channel model merged into the configuration in force. */
export interface GovernanceStep {
  readonly title: string;
  readonly change: JsonObject;
}

/**
 * The scenario's three changes for a consortium of these organisations: the endorsement policy
 * down to any two organisations' peers, the V2_0 application capability stated beside V2_5, and
 * committing chaincode definitions restricted to the application admins' majority.
 */
export function governanceSteps(mspIds: readonly string[]): GovernanceStep[] {
  const peers = [...mspIds].sort().map((id) => `'${id}.peer'`).join(', ');
  return [
    {
      title: 'policy: /Channel/Application/Endorsement becomes any two organisations\' peers',
      change: { version: 2, application: { policies: { Endorsement: { type: 'Signature', rule: `OutOf(2, ${peers})` } } } },
    },
    {
      title: 'capability: the application group requires V2_0 and V2_5',
      change: { version: 2, application: { capabilities: ['V2_0', 'V2_5'] } },
    },
    {
      title: 'ACL: _lifecycle/CommitChaincodeDefinition needs /Channel/Application/Admins',
      change: { version: 2, application: { acls: { '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Admins' } } },
    },
  ];
}

/** Whether a configuration already says everything a change says. */
export function satisfies(config: Readonly<Record<string, unknown>>, change: JsonObject): boolean {
  return firstDifference(mergeModel(config, change), config, '') === undefined;
}

/** Options of {@link GovernanceScenario}. */
export interface GovernanceScenarioOptions {
  /** The steps for the consortium's organisations (known once the network is up). */
  readonly steps: (mspIds: readonly string[]) => readonly GovernanceStep[];
  /** The operators' shared file of wanted changes. */
  readonly desiredFile: string;
  readonly output: (line: string) => void;
}

/** Drives the steps: see the top of this file. */
export class GovernanceScenario {
  /** Settles once every step is in force. */
  readonly done: Promise<void>;
  /** CB heights that put each step in force, in step order. */
  readonly inForceAt: number[] = [];
  private readonly options: Readonly<GovernanceScenarioOptions>;
  private steps: readonly GovernanceStep[] = [];
  private step = 0;
  private finish: () => void = () => undefined;

  constructor(options: Readonly<GovernanceScenarioOptions>) {
    this.options = options;
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
  }

  /** Writes the first change, before any node proposes; later calls do nothing. */
  begin(mspIds: readonly string[]): void {
    if (this.steps.length > 0) return;
    this.steps = this.options.steps(mspIds);
    this.announce();
  }

  /** An operator twin on the shared file, for every member. */
  twin(): DigitalTwin {
    return new OperatorTwin({ configFile: this.options.desiredFile, name: 'operator' });
  }

  /** A CB is in force on the primary channel: move to the next step once the current one is in it. */
  inForce(height: number, config: Readonly<Record<string, unknown>>): void {
    const current = this.steps[this.step];
    if (current === undefined || !satisfies(config, current.change)) return;
    this.inForceAt.push(height);
    this.options.output(`  ✓ change ${this.step + 1}/${this.steps.length} in force with CB ${height}: ${current.title}`);
    this.step += 1;
    if (this.step === this.steps.length) {
      this.finish();
      return;
    }
    this.announce();
  }

  private announce(): void {
    const next = this.steps[this.step];
    if (next === undefined) return;
    // Written whole and renamed, so no twin ever reads half a file.
    const temp = path.join(path.dirname(this.options.desiredFile), `.${path.basename(this.options.desiredFile)}.tmp`);
    writeFileSync(temp, `${JSON.stringify(next.change, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.options.desiredFile);
    this.options.output(`  ▶ change ${this.step + 1}/${this.steps.length} wanted by every operator: ${next.title}`);
  }
}
