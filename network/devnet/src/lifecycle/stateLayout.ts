/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `_lifecycle`'s state as a Fabric peer keeps it (core/chaincode/lifecycle serializer.go and
 * lifecycle.go), so that a Fabric peer following a devnet channel reads the same state: a
 * structure named `<name>` in a space `<space>` (`namespaces` or `chaincode-sources`) is a
 * lifecycle.StateMetadata at `<space>/metadata/<name>` (its type and field names) plus one
 * lifecycle.StateData per field at `<space>/fields/<name>/<Field>`. A committed definition is the
 * public ChaincodeDefinition `namespaces/.../<cc>`; an organisation's approval is the private
 * ChaincodeParameters `namespaces/.../<cc>#<seq>` and ChaincodeLocalPackage
 * `chaincode-sources/.../<cc>#<seq>` in its implicit collection, whose hashes alone are on every
 * peer (commit readiness compares hashes). Writes skip unchanged fields as Fabric's do, so that
 * the read/write sets carry the same writes.
 */
import { peer } from '@hyperledger/fabric-protos';
import { sha256 } from '../privdata/rwset';
import type { DefinitionParams } from './definitions';

const lc = peer.lifecycle;

export const NAMESPACES = 'namespaces';
export const CHAINCODE_SOURCES = 'chaincode-sources';

const DEFINITION_TYPE = 'ChaincodeDefinition';
const PARAMETERS_TYPE = 'ChaincodeParameters';
const LOCAL_PACKAGE_TYPE = 'ChaincodeLocalPackage';

export function metadataKey(space: string, name: string): string {
  return `${space}/metadata/${name}`;
}

export function fieldKey(space: string, name: string, field: string): string {
  return `${space}/fields/${name}/${field}`;
}

/** The private name of an approval: `<cc>#<sequence>`. */
export function privateName(chaincode: string, sequence: number): string {
  return `${chaincode}#${sequence}`;
}

/** The public range of every structure's metadata in the `namespaces` space. */
export const DEFINITION_METADATA_RANGE = { start: `${NAMESPACES}/metadata/`, end: `${NAMESPACES}/metadata0` };

/** Read and write access to one key space (public state, or one collection's private state). */
export interface KeyState {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): void;
  del(key: string): void;
}

/** Access to the hashes of one organisation's private state (every peer has them). */
export interface HashState {
  hash(key: string): Promise<Uint8Array | undefined>;
}

/** A structure to store: its Go type name and its fields, in the Go struct's order. */
interface Structure {
  type: string;
  fields: [string, peer.lifecycle.StateData][];
}

function bytesField(bytes: Uint8Array): peer.lifecycle.StateData {
  const d = new lc.StateData();
  d.setBytes(bytes);
  return d;
}

function definitionStructure(d: DefinitionParams): Structure {
  const sequence = new lc.StateData();
  sequence.setInt64(d.sequence);
  return { type: DEFINITION_TYPE, fields: [['Sequence', sequence], ...parameterFields(d)] };
}

function parametersStructure(d: DefinitionParams): Structure {
  return { type: PARAMETERS_TYPE, fields: parameterFields(d) };
}

function localPackageStructure(packageId: string): Structure {
  const id = new lc.StateData();
  id.setString(packageId);
  return { type: LOCAL_PACKAGE_TYPE, fields: [['PackageID', id]] };
}

/** EndorsementInfo, ValidationInfo and Collections, each a marshalled proto in a bytes StateData. */
function parameterFields(d: DefinitionParams): [string, peer.lifecycle.StateData][] {
  const endorsement = new lc.ChaincodeEndorsementInfo();
  endorsement.setVersion(d.version);
  endorsement.setInitRequired(d.initRequired);
  endorsement.setEndorsementPlugin(d.endorsementPlugin);
  const validation = new lc.ChaincodeValidationInfo();
  validation.setValidationPlugin(d.validationPlugin);
  validation.setValidationParameter(d.validationParameter);
  return [
    ['EndorsementInfo', bytesField(endorsement.serializeBinary())],
    ['ValidationInfo', bytesField(validation.serializeBinary())],
    ['Collections', bytesField(d.collections)],
  ];
}

function metadataOf(s: Structure): Uint8Array {
  const m = new lc.StateMetadata();
  m.setDatatype(s.type);
  m.setFieldsList(s.fields.map(([f]) => f));
  return m.serializeBinary();
}

/**
 * Fabric's Serializer.Serialize: writes each field whose stored value differs, the metadata when
 * the type or field list changes, and deletes fields the new structure no longer has.
 */
async function serialize(state: KeyState, space: string, name: string, s: Structure): Promise<void> {
  const existingMetadata = await readMetadata(state, space, name);
  const existing = new Map<string, Uint8Array | undefined>();
  for (const field of existingMetadata?.getFieldsList() ?? []) {
    const key = fieldKey(space, name, field);
    existing.set(key, await state.get(key));
  }
  for (const [field, data] of s.fields) {
    const key = fieldKey(space, name, field);
    const bytes = data.serializeBinary();
    const old = existing.get(key);
    if (!existing.has(key) || old === undefined || !Buffer.from(old).equals(Buffer.from(bytes))) state.put(key, bytes);
    existing.delete(key);
  }
  if (existing.size > 0 || existingMetadata?.getDatatype() !== s.type || existingMetadata.getFieldsList().length !== s.fields.length) {
    state.put(metadataKey(space, name), metadataOf(s));
  }
  for (const key of existing.keys()) state.del(key);
}

async function readMetadata(state: Pick<KeyState, 'get'>, space: string, name: string): Promise<peer.lifecycle.StateMetadata | undefined> {
  const raw = await state.get(metadataKey(space, name));
  if (!raw || raw.length === 0) return undefined;
  try {
    return lc.StateMetadata.deserializeBinary(raw);
  } catch {
    throw new Error(`could not deserialize metadata for namespace ${space}/${name}: not a lifecycle.StateMetadata`);
  }
}

async function readField(state: Pick<KeyState, 'get'>, space: string, name: string, field: string): Promise<peer.lifecycle.StateData> {
  const raw = await state.get(fieldKey(space, name, field));
  try {
    return lc.StateData.deserializeBinary(raw ?? new Uint8Array());
  } catch {
    throw new Error(`could not unmarshal state for key ${fieldKey(space, name, field)}: not a lifecycle.StateData`);
  }
}

/** Fabric's IsSerialized over hashes: the fields whose hash differs ([type] when the metadata does). */
async function hashMismatches(state: HashState, space: string, name: string, s: Structure): Promise<string[]> {
  const metadataHash = await state.hash(metadataKey(space, name));
  if (!metadataHash || !sha256(metadataOf(s)).equals(Buffer.from(metadataHash))) return [s.type];
  const out: string[] = [];
  for (const [field, data] of s.fields) {
    const hash = await state.hash(fieldKey(space, name, field));
    if (!hash || !sha256(data.serializeBinary()).equals(Buffer.from(hash))) out.push(field);
  }
  return out;
}

/** Writes a committed definition to public state. */
export function writeDefinition(state: KeyState, d: DefinitionParams): Promise<void> {
  return serialize(state, NAMESPACES, d.name, definitionStructure(d));
}

/** The committed definition of a chaincode in public state, or undefined when none is. */
export async function readDefinition(state: Pick<KeyState, 'get'>, name: string): Promise<DefinitionParams | undefined> {
  const metadata = await readMetadata(state, NAMESPACES, name);
  if (!metadata) return undefined;
  if (metadata.getDatatype() !== DEFINITION_TYPE) throw new Error(`not a chaincode type: ${metadata.getDatatype()}`);
  const sequence = (await readField(state, NAMESPACES, name, 'Sequence')).getInt64();
  return { name, sequence, ...(await readParameters(state, name)) };
}

/** The committed sequence of a chaincode (0: none), as Fabric reads it: the Sequence field alone. */
export async function readSequence(state: Pick<KeyState, 'get'>, name: string): Promise<number> {
  return (await readField(state, NAMESPACES, name, 'Sequence')).getInt64();
}

/** Writes an organisation's approval (its parameters and package) to its implicit collection. */
export async function writeApproval(state: KeyState, d: DefinitionParams, packageId: string): Promise<void> {
  const name = privateName(d.name, d.sequence);
  await serialize(state, NAMESPACES, name, parametersStructure(d));
  await serialize(state, CHAINCODE_SOURCES, name, localPackageStructure(packageId));
}

/** An organisation's approved parameters and package, from its own private copy; undefined when it approved none. */
export async function readApproval(state: Pick<KeyState, 'get'>, chaincode: string, sequence: number): Promise<(DefinitionParams & { packageId: string }) | undefined> {
  const name = privateName(chaincode, sequence);
  const metadata = await readMetadata(state, NAMESPACES, name);
  if (!metadata) return undefined;
  const params = await readParameters(state, name);
  const source = await readMetadata(state, CHAINCODE_SOURCES, name);
  const packageId = source ? (await readField(state, CHAINCODE_SOURCES, name, 'PackageID')).getString() : '';
  return { name: chaincode, sequence, ...params, packageId };
}

/** The package an organisation's approval names ('' for none), from its own private copy. */
export async function readApprovedPackage(state: Pick<KeyState, 'get'>, chaincode: string, sequence: number): Promise<string> {
  const name = privateName(chaincode, sequence);
  if (!(await readMetadata(state, CHAINCODE_SOURCES, name))) return '';
  return (await readField(state, CHAINCODE_SOURCES, name, 'PackageID')).getString();
}

/**
 * How an organisation's approval differs from a definition, from hashes only (Fabric's
 * QueryOrgApprovals): [] when it approved exactly these parameters, `ChaincodeParameters` when
 * it approved none, else the differing fields (EndorsementInfo, ValidationInfo, Collections).
 */
export function approvalMismatches(state: HashState, d: DefinitionParams): Promise<string[]> {
  return hashMismatches(state, NAMESPACES, privateName(d.name, d.sequence), parametersStructure(d));
}

async function readParameters(state: Pick<KeyState, 'get'>, name: string): Promise<Omit<DefinitionParams, 'name' | 'sequence'>> {
  const endorsement = lc.ChaincodeEndorsementInfo.deserializeBinary((await readField(state, NAMESPACES, name, 'EndorsementInfo')).getBytes_asU8());
  const validation = lc.ChaincodeValidationInfo.deserializeBinary((await readField(state, NAMESPACES, name, 'ValidationInfo')).getBytes_asU8());
  return {
    version: endorsement.getVersion(),
    initRequired: endorsement.getInitRequired(),
    endorsementPlugin: endorsement.getEndorsementPlugin(),
    validationPlugin: validation.getValidationPlugin(),
    validationParameter: validation.getValidationParameter_asU8(),
    collections: (await readField(state, NAMESPACES, name, 'Collections')).getBytes_asU8(),
  };
}

/** The chaincode names whose metadata rows (of {@link DEFINITION_METADATA_RANGE}) are committed definitions. */
export function definitionNamesOf(rows: readonly { key: string; value: Uint8Array }[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    try {
      if (lc.StateMetadata.deserializeBinary(row.value).getDatatype() === DEFINITION_TYPE) out.push(row.key.slice(DEFINITION_METADATA_RANGE.start.length));
    } catch {
      // Not a lifecycle.StateMetadata: Fabric's DeserializeAllMetadata fails; the devnet skips it.
    }
  }
  return out;
}
