import { goalLines, throughputGoals } from './throughputGoal';

describe('throughputGoals', () => {
  const cpu = (bench: number, network: number, chaincode?: number) => ({ bench, network, ...(chaincode === undefined ? {} : { chaincode }), cores: 2 });

  it('compares the client counts both backends ran, with the CPU ceilings of the devnet run', () => {
    const goals = throughputGoals(
      [
        { clients: 10, txPerSecond: 250, cpu: cpu(70, 100, 25) },
        { clients: 50, txPerSecond: 280, cpu: cpu(84, 112) },
      ],
      [{ clients: 10, txPerSecond: 50, cpu: cpu(5, 190) }],
    );
    expect(goals).toHaveLength(1);
    const [g] = goals;
    expect(g).toMatchObject({ clients: 10, ratio: 5, goalTxPerSecond: 500, met: false });
    // 70% of a core at 250 tx/s is 2.8 ms a transaction; 100% is 4 ms; native 190% at 50 tx/s is 38 ms.
    expect(g.cpuMsPerTx).toEqual({ clients: 2.8, devnet: 4, chaincode: 1, native: 38 });
    // 2 cores: 2000 ms of CPU a second over 2.8 ms, over 3.8 ms (clients and chaincode) and over 6.8 ms.
    expect(g.ceilings).toEqual({ clientsAlone: 714, clientsAndChaincode: 526, clientsAndDevnet: 294, cores: 2 });
    expect(goalLines(goals)[2]).toBe('  most 2 cores allow at these costs: 294 tx/s with the devnet, 526 tx/s if the devnet\'s own process cost nothing, 714 tx/s for the clients alone');
    expect(goalLines(goals).join('\n')).toContain('goal 10x = 500 tx/s: not met');
  });

  it('says met at ten times, and leaves the ceilings out when the CPU was not measured', () => {
    const [g] = throughputGoals([{ clients: 10, txPerSecond: 600 }], [{ clients: 10, txPerSecond: 60 }]);
    expect(g.met).toBe(true);
    expect(g.ceilings).toBeUndefined();
    expect(g.cpuMsPerTx).toBeUndefined();
    expect(goalLines([g])).toHaveLength(1);
  });

  it('refuses a phase without transactions', () => {
    expect(() => throughputGoals([{ clients: 10, txPerSecond: 0 }], [{ clients: 10, txPerSecond: 50 }])).toThrow('no throughput to compare with 10 clients');
  });
});
