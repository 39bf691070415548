/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { viewChannelConfig } from 'fabric-config/configtx';
import type { ChannelConfigView } from 'fabric-config/configtx';
import { readConnectionFile } from '../../gateway';
import type { ConnectionFile } from '../../gateway';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import { readJsonValue } from '../input';
import { buildConnectionFile } from './build';
import { checkConnections } from './check';
import type { CheckIdentity, CheckReport } from './check';
import { discover } from './discover';
import { draftFromSpec, missingProblem, parseOrgSpec, parseOrgsJson } from './draft';
import type { DraftOrg, OrgSpecInput, Sourced } from './draft';
import { readLayout } from './layout';
import type { Layout } from './layout';
import { MaterialDir } from './material';
import type { ConnectOptions } from './options';
import { resolveWithChannel } from './resolve';
import type { Resolution } from './resolve';
import { applyPeerFlags, draftsFromCrypto, draftsFromTestNetwork } from './sources';
import { importWalletIdentity } from './wallet';

/** Adds an explicit organisation, or overrides what a folder gave for the same MSP ID. */
function mergeDraft(drafts: DraftOrg[], draft: DraftOrg): void {
  const same = drafts.find((d) => d.mspId === draft.mspId);
  if (same === undefined) {
    drafts.push(draft);
    return;
  }
  same.peer = draft.peer ?? same.peer;
  same.orderer = draft.orderer ?? same.orderer;
  same.caCert = draft.caCert ?? same.caCert;
  same.adminMsp = draft.adminMsp ?? same.adminMsp;
  same.userMsp = draft.userMsp ?? same.userMsp;
  if (draft.domain !== '') same.domain = draft.domain;
}

async function collectDrafts(options: ConnectOptions, material: MaterialDir): Promise<DraftOrg[]> {
  if (options.testNetwork !== undefined && options.crypto !== undefined) throw new UsageError('give either --test-network or --crypto, not both');
  let layout: Layout | undefined;
  let drafts: DraftOrg[] = [];
  if (options.testNetwork !== undefined) {
    layout = readLayout(options.testNetwork, '--test-network');
    drafts = draftsFromTestNetwork(layout, material, options.peer);
  } else if (options.crypto !== undefined) {
    layout = readLayout(options.crypto, '--crypto');
    drafts = draftsFromCrypto(layout);
    if (options.peer.length === 0) throw new UsageError('--crypto needs the peers\' endpoints: --peer <mspId>=<host:port> for each member');
  }
  const specs: { spec: OrgSpecInput; from: string; base: string; signer: boolean }[] = [
    ...options.org.map((text) => ({ spec: parseOrgSpec(text, '--org'), from: '--org', base: process.cwd(), signer: false })),
    ...options.signer.map((text) => ({ spec: parseOrgSpec(text, '--signer'), from: '--signer', base: process.cwd(), signer: true })),
  ];
  if (options.orgs !== undefined) {
    const parsed = parseOrgsJson(readJsonValue(options.orgs, 'organisations file'), options.orgs);
    const base = path.dirname(path.resolve(options.orgs));
    specs.push(...parsed.members.map((spec) => ({ spec, from: `--orgs ${options.orgs ?? ''} member`, base, signer: false })));
    specs.push(...parsed.signers.map((spec) => ({ spec, from: `--orgs ${options.orgs ?? ''} signer`, base, signer: true })));
  }
  for (const { spec, from, base, signer } of specs) mergeDraft(drafts, draftFromSpec(spec, from, base, signer));
  if (layout === undefined && specs.length === 0) {
    throw new UsageError('say where the network is: --test-network <organizations folder>, --crypto <cryptogen folder> with --peer/--orderer, or --org/--orgs (see --help)');
  }
  await applyPeerFlags(drafts, layout, options.peer, options.peerHostAlias);
  await applyWallet(drafts, options, material);
  return drafts;
}

async function applyWallet(drafts: DraftOrg[], options: ConnectOptions, material: MaterialDir): Promise<void> {
  const labels = [
    { label: options.identity, role: 'user' as const, flag: '--identity' },
    { label: options.adminIdentity, role: 'admin' as const, flag: '--admin-identity' },
  ].filter((l): l is { label: string; role: 'user' | 'admin'; flag: string } => l.label !== undefined);
  if (options.wallet === undefined) {
    if (labels.length > 0) throw new UsageError(`${labels[0].flag} names a wallet identity: give the wallet with --wallet <dir>`);
    return;
  }
  if (labels.length === 0) throw new UsageError('--wallet needs --identity <label> (the client user) and/or --admin-identity <label>');
  for (const { label, role, flag } of labels) {
    const imported = await importWalletIdentity(options.wallet, label, material.pathOf('wallet', label.replace(/[^A-Za-z0-9._@-]/g, '_'), 'msp'));
    const draft = drafts.find((d) => d.mspId === imported.mspId);
    if (draft === undefined) {
      throw new UsageError(`${flag} ${label} belongs to ${imported.mspId}, which is not among the organisations given (${drafts.map((d) => d.mspId ?? d.domain).join(', ')})`);
    }
    const item: Sourced = { path: imported.mspDir, from: `--wallet ${options.wallet} ${flag} ${label}` };
    if (role === 'user') draft.userMsp = item;
    else draft.adminMsp = item;
  }
}

/** Files the drafts name that are not there: bad input, said before anything connects. */
function missingInputs(drafts: readonly DraftOrg[], self: string | undefined): string[] {
  const problems: (string | undefined)[] = [];
  for (const d of drafts) {
    const name = d.mspId ?? d.domain;
    if (d.peer !== undefined) problems.push(missingProblem(d.peer.tlsCaCert, 'file', `${name}'s peer TLS CA certificate`));
    if (d.orderer !== undefined) problems.push(missingProblem(d.orderer.tlsCaCert, 'file', `${name}'s orderer TLS CA certificate`));
    if (d.caCert !== undefined) problems.push(missingProblem(d.caCert, 'file', `${name}'s CA certificate`));
    if (self === undefined || d.mspId === self) {
      if (d.adminMsp !== undefined) problems.push(missingProblem(d.adminMsp, 'folder', `${name}'s admin MSP folder`));
      if (d.userMsp !== undefined) problems.push(missingProblem(d.userMsp, 'folder', `${name}'s user MSP folder`));
    }
  }
  return problems.filter((p): p is string => p !== undefined);
}

function checkIdentities(resolution: Resolution, file: ConnectionFile, self: string | undefined): Parameters<typeof checkConnections>[0]['members'] {
  const selfMember = file.members.find((m) => m.mspId === self);
  const identityOf = (mspId: string, userMspDir: string): CheckIdentity => (selfMember === undefined ? { mspId, mspDir: userMspDir } : { mspId: selfMember.mspId, mspDir: selfMember.userMspDir });
  return resolution.members.map((resolved, i) => ({ resolved, written: file.members[i], identity: identityOf(resolved.mspId, file.members[i].userMspDir) }));
}

function summaryLines(out: string, file: ConnectionFile, view: ChannelConfigView, notes: readonly string[], report: CheckReport | undefined, self: string | undefined): string[] {
  const b = view.batchSize;
  return [
    `wrote ${out}${self === undefined ? '' : ` (${self}'s own file: other members' MSP folders are public copies without keys)`}`,
    `channels: primary ${file.channels.primary}, management ${file.channels.management}`,
    `consensus ${view.consensusType}; batch timeout ${view.batchTimeout}, max message count ${b.maxMessageCount}, absolute max bytes ${b.absoluteMaxBytes}, preferred max bytes ${b.preferredMaxBytes}`,
    ...file.members.map((m) => `member ${m.mspId}: peer ${m.peer.endpoint} (${m.peer.hostAlias}), orderer ${m.orderer.endpoint} (${m.orderer.hostAlias})`),
    ...(file.signers ?? []).map((s) => `signer ${s.mspId}: orderer ${s.orderer.endpoint} (${s.orderer.hostAlias}), admin ${s.adminMspDir}`),
    ...notes.map((n) => `note: ${n}`),
    ...(report === undefined ? ['not checked (--no-check)'] : report.passed.map((p) => `ok: ${p}`)),
  ];
}

/**
 * `mgmt connect`: writes a connection file for a network users already run, from a test-network
 * folder, a cryptogen folder and endpoints, or explicit organisations; fills channels, members and
 * signers from the network, and connects with what it wrote to check it.
 *
 * @param self - the member whose own file to write (--member given), or undefined for everyone's.
 * @throws {@link UsageError} for bad or missing inputs; {@link CliError} when the network does not
 *   answer or the check fails (the connection file is then not written).
 */
export async function connectHandler(ctx: CliContext, options: ConnectOptions, self: string | undefined): Promise<void> {
  const out = path.resolve(options.out);
  if (existsSync(out) && !options.force) throw new UsageError(`${out} exists already: pass --force to overwrite it, or choose another --out`);
  const material = MaterialDir.beside(out);
  const drafts = await collectDrafts(options, material);
  const missing = missingInputs(drafts, self);
  if (missing.length > 0) throw new UsageError(`some files are missing:\n  ${missing.join('\n  ')}`);

  const discovery = await discover(drafts, self, options.channel, options.managementChannel);
  ctx.progress(`${discovery.via.mspId}'s peer ${discovery.via.peer.endpoint} has joined ${discovery.joined.join(', ')}; primary ${discovery.channels.primary}, management ${discovery.channels.management}`);
  const view = viewChannelConfig(discovery.channels.primary, discovery.config);
  const dialHost = discovery.via.peer.endpoint.slice(0, discovery.via.peer.endpoint.lastIndexOf(':'));
  const resolution = await resolveWithChannel({ drafts, view, material, ordererFlags: options.orderer, ordererAliasFlags: options.ordererHostAlias, dialHost });
  const file = buildConnectionFile(resolution, discovery.channels, self, material, options.managementChaincode);
  const notes = [...discovery.notes, ...resolution.notes];

  let report: CheckReport | undefined;
  if (options.check) {
    const selfMember = file.members.find((m) => m.mspId === self);
    report = await checkConnections({
      members: checkIdentities(resolution, file, self),
      signers: resolution.signers.map((resolved, i) => ({
        resolved,
        identity: selfMember === undefined ? { mspId: resolved.mspId, mspDir: (file.signers ?? [])[i].adminMspDir } : { mspId: selfMember.mspId, mspDir: selfMember.userMspDir },
      })),
      primary: file.channels.primary,
    });
    for (const line of report.passed) ctx.verbose(`ok: ${line}`);
    if (report.problems.length > 0) {
      throw new CliError(`the check of what would be written failed, so ${out} was not written (--no-check writes it anyway):\n  ${report.problems.join('\n  ')}`);
    }
  }

  const tmp = `${out}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, out);
  // What was written must be what every reader accepts.
  readConnectionFile(out);
  ctx.print(summaryLines(out, file, view, notes, report, self), {
    file: out,
    material: material.dir,
    member: self ?? null,
    channels: file.channels,
    joined: discovery.joined,
    consensusType: view.consensusType,
    batch: { batchTimeout: view.batchTimeout, batchTimeoutMs: view.batchTimeoutMs, ...view.batchSize },
    members: file.members.map((m) => ({ mspId: m.mspId, peer: m.peer.endpoint, peerHostAlias: m.peer.hostAlias, orderer: m.orderer.endpoint, ordererHostAlias: m.orderer.hostAlias })),
    signers: (file.signers ?? []).map((s) => ({ mspId: s.mspId, orderer: s.orderer.endpoint, ordererHostAlias: s.orderer.hostAlias })),
    notes,
    checked: report !== undefined,
    passed: report?.passed ?? [],
  });
}
