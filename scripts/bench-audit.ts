#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figure for the README (issue 19, item 3): how many CBs a second `mgmt audit` verifies from
 * genesis (verifyManagementChain: the core's verifyBlock on every CB), sequentially and with the
 * vote signatures checked in parallel by worker threads, beside the goal of 10,000 CBs/s and the
 * floor the machine's ECDSA P-256 verify speed sets. The chain is synthetic but real: four
 * members whose CAs and client certificates `openssl` makes in a temporary folder, and about 3.3
 * OpenSSL-made vote signatures a CB. Nothing listens; the folder is always removed.
 *
 * Example:
 *   npm run bench:audit -- --cbs 10000 --runs 3
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign as signData, verify as verifyData } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import type { ConfigBlock, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { defaultAuditWorkers, verifyManagementChain } from 'mgmt-orchestrator/dist/audit';
import { buildSyntheticChain, SYNTHETIC_SCHEMA } from 'mgmt-orchestrator/dist/audit/syntheticChain';
import type { SyntheticVoter } from 'mgmt-orchestrator/dist/audit/syntheticChain';
import { BenchError, positiveInt, progress, round, runProgram } from './benchSupport';

const GOAL_CBS_PER_S = 10_000;
const MSP_IDS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];

interface Options {
  cbs: number;
  runs: number;
  workers: number;
  json?: boolean;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
}

function openssl(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new BenchError(`openssl ${args[0]} failed (is openssl installed? apt-get install openssl): ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Per member, a P-256 CA and a client certificate with the NodeOU role `client`, made by openssl. */
function makeConsortium(dir: string): { params: GenesisParams; voters: SyntheticVoter[] } {
  writeFileSync(path.join(dir, 'client.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const voters: SyntheticVoter[] = [];
  const members = MSP_IDS.map((mspId) => {
    const org = mspId.toLowerCase();
    openssl(['req', '-x509', ...ec, '-keyout', `${org}-ca.key`, '-out', `${org}-ca.pem`, '-days', '3650', '-subj', `/O=${org}/CN=ca.${org}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    openssl(['req', '-new', ...ec, '-keyout', `${org}-client.key`, '-out', `${org}-client.csr`, '-subj', `/O=${org}/OU=client/CN=user.${org}`], dir);
    openssl(['x509', '-req', '-in', `${org}-client.csr`, '-CA', `${org}-ca.pem`, '-CAkey', `${org}-ca.key`, '-CAcreateserial',
      '-out', `${org}-client.pem`, '-days', '3650', '-extfile', 'client.ext'], dir);
    const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
    voters.push({ mspId, certificate: read(`${org}-client.pem`), key: createPrivateKey(read(`${org}-client.key`)) });
    return { mspId, caCertificate: read(`${org}-ca.pem`) };
  });
  const params: GenesisParams = { members, cbiSeconds: 30, cycleTimeoutSeconds: 10, clockToleranceSeconds: 5, configSchema: SYNTHETIC_SCHEMA };
  return { params, voters };
}

/** ECDSA P-256 verifies a second on one thread through node:crypto, as the audit's verifier makes them, over one second. */
function nodeVerifiesPerSecond(voter: SyntheticVoter): number {
  const message = Buffer.from('mgmt-cb-v1:approve:' + '0'.repeat(64));
  const signature = signData('sha256', message, { key: voter.key, dsaEncoding: 'der' });
  const key = createPublicKey(voter.key);
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    for (let i = 0; i < 100; i++) verifyData('sha256', message, { key, dsaEncoding: 'der' }, signature);
    n += 100;
  }
  return n / ((performance.now() - started) / 1000);
}

/** `openssl speed ecdsap256`'s verify/s on one core, or undefined when it cannot be read. */
function opensslVerifiesPerSecond(dir: string): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '2', 'ecdsap256'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => /ecdsa \(nistp256\)/.test(l));
    const fields = line?.trim().split(/\s+/) ?? [];
    const verify = Number(fields[fields.length - 1]);
    return Number.isFinite(verify) && verify > 0 ? verify : undefined;
  } catch {
    return undefined;
  }
}

function timeRuns(runs: number, verify: () => void): number[] {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    verify();
    ms.push(performance.now() - started);
  }
  return ms;
}

function main(opts: Options): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-audit-'));
  try {
    progress('making the PKI with openssl');
    const { params, voters } = makeConsortium(dir);
    progress(`building a chain of ${opts.cbs} CBs`);
    // The certificates are valid from now: the chain starts a minute later. An audit reads the
    // chain as JSON (the chaincode's GetBlocks answer, or an export file), so it is measured so.
    const chain = JSON.parse(JSON.stringify(buildSyntheticChain(params, voters, opts.cbs, Date.now() + 60_000))) as ConfigBlock[];
    const signatures = chain.reduce((sum, cb) => sum + cb.proof.length, 0);
    const check = verifyManagementChain(chain);
    if (check.fault !== undefined) throw new BenchError(`the synthetic chain does not verify: ${check.fault.message}`);

    // The verify rate is sampled around each phase and the best kept, as the runs are: on a shared
    // machine whose speed drifts, the ceiling must come from as quiet a moment as the figures.
    const verifyRates = [nodeVerifiesPerSecond(voters[0])];
    progress(`verifying it ${opts.runs} times sequentially`);
    const sequential = timeRuns(opts.runs, () => verifyManagementChain(chain, { parallel: false }));
    let parallel: number[] = [];
    if (opts.workers > 0) {
      verifyRates.push(nodeVerifiesPerSecond(voters[0]));
      progress(`verifying it ${opts.runs} times with ${opts.workers} signature workers`);
      parallel = timeRuns(opts.runs, () => {
        const result = verifyManagementChain(chain, { parallel: true, workers: opts.workers });
        if (result.fault !== undefined) throw new BenchError(`parallel verification found a fault in a valid chain: ${result.fault.message}`);
      });
    }
    progress('measuring the ECDSA P-256 verify speed');
    verifyRates.push(nodeVerifiesPerSecond(voters[0]));
    const nodeVerifies = Math.max(...verifyRates);
    const opensslVerifies = opensslVerifiesPerSecond(dir);

    const cores = os.availableParallelism();
    const perCb = signatures / chain.length;
    const best = (ms: readonly number[]): number | undefined => (ms.length === 0 ? undefined : Math.min(...ms));
    const rate = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : round(chain.length / (ms / 1000), 0));
    const sequentialRate = rate(best(sequential));
    const result = {
      date: new Date().toISOString(),
      cbs: chain.length,
      signaturesPerCb: round(perCb, 2),
      cores,
      loadAverage: os.loadavg().map((l) => round(l, 2)),
      goalCbsPerS: GOAL_CBS_PER_S,
      sequential: { bestMs: round(best(sequential) ?? 0, 0), cbsPerS: sequentialRate, runsMs: sequential.map((ms) => round(ms, 0)) },
      parallel: opts.workers === 0 ? null : { workers: opts.workers, bestMs: round(best(parallel) ?? 0, 0), cbsPerS: rate(best(parallel)), runsMs: parallel.map((ms) => round(ms, 0)) },
      // Signature checks alone, all cores busy, nothing else done: no audit of this chain can beat it.
      floor: {
        nodeVerifiesPerS: round(nodeVerifies, 0),
        opensslSpeedVerifiesPerS: opensslVerifies === undefined ? null : round(opensslVerifies, 0),
        cbsPerS: round(((opensslVerifies ?? nodeVerifies) * cores) / perCb, 0),
        // With the verifier the audit uses (node:crypto), which costs more per call than openssl speed's loop.
        nodeCbsPerS: round((nodeVerifies * cores) / perCb, 0),
      },
      // The sequential pass's CPU per CB (signatures and the core's other checks) spread over every
      // core with no cost of its own: what the parallel mode could reach at best.
      ceiling: {
        cbsPerS: sequentialRate === undefined ? null : round(sequentialRate * cores, 0),
        otherChecksUsPerCb: round(Math.max(0, ((best(sequential) ?? 0) * 1000) / chain.length - (perCb * 1e6) / nodeVerifies), 1),
      },
    };
    if (opts.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      const line = (label: string, cbsPerS: number | undefined, ms: number): string =>
        `${label}: ${cbsPerS ?? '-'} CBs/s (${(ms / 1000).toFixed(2)} s for ${chain.length} CBs)${cbsPerS !== undefined && cbsPerS >= GOAL_CBS_PER_S ? ' ✔ goal' : ''}`;
      process.stdout.write(
        [
          `audit of a ${chain.length}-CB chain (${perCb.toFixed(2)} signatures a CB), best of ${opts.runs}; ${cores} cores, load ${result.loadAverage.join(' ')}; goal ${GOAL_CBS_PER_S} CBs/s`,
          line('  sequential', result.sequential.cbsPerS, result.sequential.bestMs),
          ...(result.parallel === null ? [] : [line(`  parallel (${opts.workers} workers)`, result.parallel.cbsPerS, result.parallel.bestMs)]),
          `  ECDSA P-256 verify on one core: node:crypto ${result.floor.nodeVerifiesPerS}/s` +
            (opensslVerifies === undefined ? '' : `, openssl speed ${result.floor.opensslSpeedVerifiesPerS}/s`) +
            ` → at most ${result.floor.nodeCbsPerS} CBs/s on ${cores} cores with node:crypto` +
            (opensslVerifies === undefined ? '' : ` (${result.floor.cbsPerS} at openssl speed's rate)`) +
            ', signature checks alone',
          `  the core's other checks: ${result.ceiling.otherChecksUsPerCb} µs a CB → at most ${result.ceiling.cbsPerS ?? '-'} CBs/s on ${cores} cores ` +
            '(the sequential CPU per CB spread over every core at no cost)',
        ].join('\n') + '\n',
      );
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command('bench-audit')
  .description('CBs a second that the audit verifies from genesis, sequentially and in parallel, beside the goal of 10,000 CBs/s')
  .option('--cbs <n>', 'CBs in the chain', positiveInt, 10_000)
  .option('--runs <n>', 'verifications of the chain per mode (the best is reported)', positiveInt, 3)
  .option('--workers <n>', 'signature worker threads of the parallel mode, by default one per available core but one (the verifying thread checks signatures too); 0 skips it', nonNegativeInt, defaultAuditWorkers())
  .option('--json', 'print one JSON line instead of the summary')
  .addHelpText('after', '\nExample:\n  npm run bench:audit -- --cbs 10000 --runs 3');
runProgram(program, () => Promise.resolve(main(program.opts<Options>())));
