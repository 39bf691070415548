/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Issue 19's throughput goal judged from one run of `bench:backends`: the devnet's closed-loop
 * throughput against ten times native Fabric's with the same clients, printed beside the most this
 * machine allows. A closed loop spends, per transaction, the CPU of its clients (the real
 * fabric-gateway client: three signed gRPC calls) and of the network; on a machine with `cores`
 * cores no backend can go faster than cores / (CPU per transaction), so the clients' own cost
 * alone sets a ceiling that no work on the network can lift.
 */

/** What one backend's throughput phase measured. */
export interface ThroughputSample {
  readonly clients: number;
  readonly txPerSecond: number;
  /** CPU during the phase in % of one core; absent when it was not measured. */
  readonly cpu?: {
    /** The benchmark's own process: the fabric-gateway clients. */
    readonly bench: number;
    /** The network's processes (devnet and chaincode, or every Fabric node and chaincode). */
    readonly network: number;
    /** Of `network`, the chaincode servers (the devnet's child processes); absent when not told apart. */
    readonly chaincode?: number;
    readonly cores: number;
  };
}

/** Ten times native, the goal of issue 19. */
export const GOAL_FACTOR = 10;

/** The goal for one client count, with the ceilings the measured CPU costs put on it. */
export interface ThroughputGoal {
  readonly clients: number;
  readonly devnetTxPerSecond: number;
  readonly nativeTxPerSecond: number;
  /** devnet / native. */
  readonly ratio: number;
  readonly goalTxPerSecond: number;
  readonly met: boolean;
  /** CPU per transaction in ms, when measured. */
  readonly cpuMsPerTx?: { readonly clients: number; readonly devnet: number; readonly chaincode?: number; readonly native: number };
  /**
   * Transactions per second the machine's cores allow at these costs: with the clients' CPU
   * alone (any backend), with the clients' and the chaincode's (a devnet process costing
   * nothing; when the chaincode was told apart), and with the clients' and the whole devnet's.
   */
  readonly ceilings?: { readonly clientsAlone: number; readonly clientsAndChaincode?: number; readonly clientsAndDevnet: number; readonly cores: number };
}

const msPerTx = (percentOfCore: number, txPerSecond: number): number => (percentOfCore / 100) * (1000 / txPerSecond);
const rounded = (n: number, digits: number): number => Number(n.toFixed(digits));

/**
 * The goal for each client count both backends were measured with, in the devnet's order.
 *
 * @throws Error on a sample without transactions (no rate to compare).
 */
export function throughputGoals(devnet: readonly ThroughputSample[], native: readonly ThroughputSample[]): ThroughputGoal[] {
  const goals: ThroughputGoal[] = [];
  for (const d of devnet) {
    const n = native.find((s) => s.clients === d.clients);
    if (n === undefined) continue;
    if (!(d.txPerSecond > 0) || !(n.txPerSecond > 0)) throw new Error(`no throughput to compare with ${d.clients} clients (devnet ${d.txPerSecond} tx/s, native ${n.txPerSecond} tx/s)`);
    const goalTxPerSecond = GOAL_FACTOR * n.txPerSecond;
    let cost: Pick<ThroughputGoal, 'cpuMsPerTx' | 'ceilings'> = {};
    if (d.cpu !== undefined && n.cpu !== undefined) {
      // The clients are the same code on both backends; the devnet's run is the one the goal is about.
      const clients = msPerTx(d.cpu.bench, d.txPerSecond);
      const devnetMs = msPerTx(d.cpu.network, d.txPerSecond);
      const chaincodeMs = d.cpu.chaincode === undefined ? undefined : msPerTx(d.cpu.chaincode, d.txPerSecond);
      const cores = d.cpu.cores;
      const ceiling = (ms: number): number => rounded((cores * 1000) / ms, 0);
      cost = {
        cpuMsPerTx: {
          clients: rounded(clients, 2),
          devnet: rounded(devnetMs, 2),
          ...(chaincodeMs === undefined ? {} : { chaincode: rounded(chaincodeMs, 2) }),
          native: rounded(msPerTx(n.cpu.network, n.txPerSecond), 2),
        },
        ceilings: {
          clientsAlone: ceiling(clients),
          ...(chaincodeMs === undefined ? {} : { clientsAndChaincode: ceiling(clients + chaincodeMs) }),
          clientsAndDevnet: ceiling(clients + devnetMs),
          cores,
        },
      };
    }
    goals.push({
      clients: d.clients,
      devnetTxPerSecond: d.txPerSecond,
      nativeTxPerSecond: n.txPerSecond,
      ratio: rounded(d.txPerSecond / n.txPerSecond, 2),
      goalTxPerSecond: rounded(goalTxPerSecond, 1),
      met: d.txPerSecond >= goalTxPerSecond,
      ...cost,
    });
  }
  return goals;
}

/** Lines for a person: the figure, the goal and the ceilings side by side. */
export function goalLines(goals: readonly ThroughputGoal[]): string[] {
  const lines: string[] = [];
  for (const g of goals) {
    lines.push(
      `${g.clients} clients: devnet ${g.devnetTxPerSecond} tx/s = ${g.ratio}x native (${g.nativeTxPerSecond} tx/s); goal ${GOAL_FACTOR}x = ${g.goalTxPerSecond} tx/s: ${g.met ? 'met' : 'not met'}`,
    );
    if (g.cpuMsPerTx !== undefined && g.ceilings !== undefined) {
      const c = g.cpuMsPerTx;
      const ofWhich = c.chaincode === undefined ? '' : `, of which chaincode ${c.chaincode} ms`;
      lines.push(`  CPU per transaction: clients ${c.clients} ms, devnet ${c.devnet} ms${ofWhich} (native Fabric ${c.native} ms)`);
      const l = g.ceilings;
      const free = l.clientsAndChaincode === undefined ? '' : `, ${l.clientsAndChaincode} tx/s if the devnet's own process cost nothing`;
      lines.push(`  most ${l.cores} cores allow at these costs: ${l.clientsAndDevnet} tx/s with the devnet${free}, ${l.clientsAlone} tx/s for the clients alone`);
    }
  }
  return lines;
}
