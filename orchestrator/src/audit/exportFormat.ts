/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mgmt audit --json` export: a self-contained file from which `mgmt audit --verify-export`
 * re-runs the whole audit with no network. Format documented in orchestrator/README.md.
 */
import { parseGoDuration } from 'fabric-config/configtx';
import { decodeBase64Strict, HASH_PATTERN, parseIJson, parseIsoMillis } from 'mgmt-chaincode/dist/protocol';
import type { JsonValue } from 'mgmt-chaincode/dist/protocol';
import { AuditError } from './errors';
import type { AuditEvidence, AuditReport, ChannelMsp, PrimaryConfigRecord, SignedBlocks } from './types';

/** The `format` field of every export. */
export const AUDIT_EXPORT_FORMAT = 'mgmt-audit-export';

/**
 * The export version this code writes when the evidence has signed blocks (version 3); evidence
 * without them is written as version 1. A reader takes versions 1, 2 and 3 and refuses any other.
 *
 * Version 3 carries exactly version 2's evidence, the primary config blocks' bytes included: what
 * changed is the report it was written with (every change of every primary config block, governed
 * or not, and `AUDIT_UNLINKED_GOVERNED_CHANGE`). The number tells a reader that the writer's audit
 * judged the full differences; the verifier never reads them from the file, it recomputes them from
 * the blocks, so a version 2 export gets the same full check.
 */
export const AUDIT_EXPORT_VERSION = 3;

/** The versions {@link parseExport} reads. */
export const AUDIT_EXPORT_VERSIONS: readonly number[] = [1, 2, 3];

/** The export document: the evidence, plus the report of the run that wrote it. */
export interface AuditExport extends AuditEvidence {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  /** 3 with signed blocks, 1 without; 2 is only ever read. */
  readonly version: 1 | 2 | 3;
  /** When the export was written, ISO 8601 UTC. */
  readonly exportedAt: string;
  /** The report of the run that wrote the export: for reading only, `--verify-export` recomputes it. */
  readonly report: AuditReport;
}

/**
 * Builds the export document: version 3 when the evidence has signed blocks, else version 1.
 *
 * @param evidence - what was audited.
 * @param report - its report.
 * @param exportedAt - the time to record; now by default.
 * @returns the document, ready for {@link serializeExport}.
 */
export function buildExport(evidence: AuditEvidence, report: AuditReport, exportedAt: Date = new Date()): AuditExport {
  return {
    format: AUDIT_EXPORT_FORMAT,
    version: evidence.signedBlocks === undefined ? 1 : AUDIT_EXPORT_VERSION,
    exportedAt: exportedAt.toISOString(),
    managementChannel: evidence.managementChannel,
    managementChain: evidence.managementChain,
    primaryChannel: evidence.primaryChannel,
    ...(evidence.signedBlocks === undefined ? {} : { signedBlocks: evidence.signedBlocks }),
    report,
  };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * The export as JSON text: one CB per line inside `managementChain`, so that a diff of two
 * exports or a `grep` shows whole blocks, and the rest indented. Versions 2 and 3 put the signed
 * blocks, base64, beside what they prove: `managementChannel.configBlock` and `.headBlocks`,
 * each record's `block`, `primaryChannel.headBlock`, and `headsReadAt`.
 *
 * @param document - from {@link buildExport}.
 * @returns the text, ending with a newline.
 */
export function serializeExport(document: AuditExport): string {
  // JSON.stringify only writes a newline between tokens (never inside a string), so re-indenting is safe.
  const nested = (value: unknown): string => JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
  const chain =
    document.managementChain.length === 0 ? '[]' : `[\n${document.managementChain.map((cb) => `    ${JSON.stringify(cb)}`).join(',\n')}\n  ]`;
  const signed = document.signedBlocks;
  const managementChannel =
    signed === undefined
      ? document.managementChannel
      : { ...document.managementChannel, configBlock: base64(signed.managementConfigBlock), headBlocks: signed.managementTail.map(base64) };
  const primaryChannel =
    signed === undefined
      ? document.primaryChannel
      : {
          channelId: document.primaryChannel.channelId,
          configBlocks: document.primaryChannel.configBlocks.map((record, i) => ({ ...record, block: base64(signed.primaryConfigBlocks[i]) })),
          headBlock: base64(signed.primaryHead),
        };
  const fields = [
    `"format": ${JSON.stringify(document.format)}`,
    `"version": ${JSON.stringify(document.version)}`,
    `"exportedAt": ${JSON.stringify(document.exportedAt)}`,
    ...(signed === undefined ? [] : [`"headsReadAt": ${JSON.stringify(signed.readAt)}`]),
    `"managementChannel": ${nested(managementChannel)}`,
    `"managementChain": ${chain}`,
    `"primaryChannel": ${nested(primaryChannel)}`,
    `"report": ${nested(document.report)}`,
  ];
  return `{\n  ${fields.join(',\n  ')}\n}\n`;
}

type Fields = Record<string, JsonValue>;

class ExportReader {
  constructor(private readonly file: string) {}

  fail(path: string, problem: string): never {
    throw new AuditError('AUDIT_EXPORT_UNREADABLE', this.file, `${path}: ${problem}`);
  }

  object(value: JsonValue | undefined, path: string): Fields {
    if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return this.fail(path, 'must be an object');
    return value;
  }

  array(value: JsonValue | undefined, path: string): JsonValue[] {
    if (!Array.isArray(value)) return this.fail(path, 'must be an array');
    return value;
  }

  string(value: JsonValue | undefined, path: string): string {
    if (typeof value !== 'string') return this.fail(path, 'must be a string');
    return value;
  }

  integer(value: JsonValue | undefined, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return this.fail(path, 'must be a non-negative integer');
    return value;
  }

  bytes(value: JsonValue | undefined, path: string): Uint8Array {
    const decoded = decodeBase64Strict(this.string(value, path));
    if (decoded === undefined) return this.fail(path, 'must be canonical base64');
    return decoded;
  }

  timestamp(value: JsonValue | undefined, path: string): string {
    const text = this.string(value, path);
    if (parseIsoMillis(text) === undefined) this.fail(path, 'must be YYYY-MM-DDTHH:mm:ss.sssZ');
    return text;
  }

  strings(value: JsonValue | undefined, path: string): string[] {
    return this.array(value, path).map((item, i) => this.string(item, `${path}[${i}]`));
  }

  msp(value: JsonValue, path: string): ChannelMsp {
    const o = this.object(value, path);
    return { mspId: this.string(o.mspId, `${path}.mspId`), rootCerts: this.strings(o.rootCerts, `${path}.rootCerts`) };
  }

  link(value: JsonValue | undefined, path: string): PrimaryConfigRecord['link'] {
    if (value === null) return null;
    const o = this.object(value, path);
    const hash = this.string(o.hash, `${path}.hash`);
    if (!HASH_PATTERN.test(hash)) this.fail(`${path}.hash`, 'must be 64 lowercase hex digits');
    return { height: this.integer(o.height, `${path}.height`), hash };
  }

  record(value: JsonValue, path: string): PrimaryConfigRecord {
    const o = this.object(value, path);
    const batchTimeout = this.string(o.batchTimeout, `${path}.batchTimeout`);
    const batchTimeoutMs = o.batchTimeoutMs;
    let parsedMs: number | undefined;
    try {
      parsedMs = parseGoDuration(batchTimeout);
    } catch {
      parsedMs = undefined;
    }
    // The table shows the duration text and the check uses the number: they must agree.
    if (typeof batchTimeoutMs !== 'number' || parsedMs !== batchTimeoutMs) {
      this.fail(`${path}.batchTimeoutMs`, `must be the milliseconds of batchTimeout ${JSON.stringify(batchTimeout)}`);
    }
    const timestamp = this.string(o.timestamp, `${path}.timestamp`);
    if (parseIsoMillis(timestamp) === undefined) this.fail(`${path}.timestamp`, 'must be YYYY-MM-DDTHH:mm:ss.sssZ');
    const linkError = o.linkError === undefined ? undefined : this.string(o.linkError, `${path}.linkError`);
    return {
      number: this.integer(o.number, `${path}.number`),
      sequence: this.integer(o.sequence, `${path}.sequence`),
      timestamp,
      batchTimeout,
      batchTimeoutMs,
      maxMessageCount: this.integer(o.maxMessageCount, `${path}.maxMessageCount`),
      link: this.link(o.link, `${path}.link`),
      ...(linkError === undefined ? {} : { linkError }),
      signers: this.strings(o.signers, `${path}.signers`),
    };
  }
}

/**
 * Reads an export back into evidence. The text is parsed strictly (RFC 8259, I-JSON, duplicate
 * member names refused), because two parsers must never read one file differently; the CBs are
 * passed on untouched, for the audit to verify, and the stored report is ignored. The signed
 * blocks of versions 2 and 3 (canonical base64; the same in both) come back as `signedBlocks`;
 * version 1 has none.
 *
 * @param text - the file's content.
 * @param file - the file's name, for messages.
 * @returns the evidence.
 * @throws {@link AuditError} `AUDIT_EXPORT_UNREADABLE` naming the path of the first problem: not
 *   I-JSON, not an audit export, a version other than 1, 2 and 3, or a field of the wrong shape
 *   (in versions 2 and 3, a missing or non-canonical base64 block too).
 */
export function parseExport(text: string, file = 'export'): AuditEvidence {
  const reader = new ExportReader(file);
  let root: JsonValue;
  try {
    root = parseIJson(text, '$');
  } catch (err) {
    return reader.fail('$', `not strict JSON: ${(err as Error).message}`);
  }
  const o = reader.object(root, '$');
  if (o.format !== AUDIT_EXPORT_FORMAT) reader.fail('$.format', `must be ${JSON.stringify(AUDIT_EXPORT_FORMAT)}: this is not an audit export`);
  if (typeof o.version !== 'number' || !AUDIT_EXPORT_VERSIONS.includes(o.version)) {
    reader.fail('$.version', `${JSON.stringify(o.version ?? null)} is not supported (this mgmt reads versions ${AUDIT_EXPORT_VERSIONS.join(', ')})`);
  }
  const management = reader.object(o.managementChannel, '$.managementChannel');
  const primary = reader.object(o.primaryChannel, '$.primaryChannel');
  const rawRecords = reader.array(primary.configBlocks, '$.primaryChannel.configBlocks');
  const evidence: AuditEvidence = {
    managementChannel: {
      channelId: reader.string(management.channelId, '$.managementChannel.channelId'),
      chaincode: reader.string(management.chaincode, '$.managementChannel.chaincode'),
      configBlockNumber: reader.integer(management.configBlockNumber, '$.managementChannel.configBlockNumber'),
      msps: reader.array(management.msps, '$.managementChannel.msps').map((m, i) => reader.msp(m, `$.managementChannel.msps[${i}]`)),
      ...(management.declaredSigners === undefined
        ? {}
        : { declaredSigners: reader.array(management.declaredSigners, '$.managementChannel.declaredSigners').map((m, i) => reader.msp(m, `$.managementChannel.declaredSigners[${i}]`)) }),
    },
    managementChain: reader.array(o.managementChain, '$.managementChain'),
    primaryChannel: {
      channelId: reader.string(primary.channelId, '$.primaryChannel.channelId'),
      configBlocks: rawRecords.map((r, i) => reader.record(r, `$.primaryChannel.configBlocks[${i}]`)),
    },
  };
  if (o.version === 1) return evidence;
  const headBlocks = reader.array(management.headBlocks, '$.managementChannel.headBlocks');
  if (headBlocks.length === 0) reader.fail('$.managementChannel.headBlocks', 'must hold at least the head block');
  const signedBlocks: SignedBlocks = {
    readAt: reader.timestamp(o.headsReadAt, '$.headsReadAt'),
    managementConfigBlock: reader.bytes(management.configBlock, '$.managementChannel.configBlock'),
    managementTail: headBlocks.map((b, i) => reader.bytes(b, `$.managementChannel.headBlocks[${i}]`)),
    primaryConfigBlocks: rawRecords.map((r, i) => reader.bytes(reader.object(r, `$.primaryChannel.configBlocks[${i}]`).block, `$.primaryChannel.configBlocks[${i}].block`)),
    primaryHead: reader.bytes(primary.headBlock, '$.primaryChannel.headBlock'),
  };
  return { ...evidence, signedBlocks };
}
