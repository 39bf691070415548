/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Policies as configtx.yaml writes them, both ways: `Type: Signature` rules in Fabric's policydsl
 * (`OR('Org1MSP.admin', 'Org1MSP.peer')`, common/policydsl) and `Type: ImplicitMeta` rules
 * (`MAJORITY Admins`, common/policies/implicitmetaparser.go). Parsing yields the very bytes
 * configtxgen writes, so configs built from these models hash like Fabric-built ones.
 *
 * Fabric 3 evaluates policydsl text with the expr-lang engine, so it also takes arithmetic
 * (`OutOf(1+1, ...)`), float, hex or quoted thresholds, escapes in strings, comments and
 * parenthesised rules. This parser takes only the policy language proper and refuses those
 * rather than guess: every text it accepts gets exactly Fabric's bytes.
 */
import { createHash } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import type { MspRole } from '../msp';
import { ConfigtxError } from './errors';
import { implicitMetaPolicy, implicitMetaRuleName, PROTO_TO_ROLE, ROLE_TO_PROTO, signaturePolicy } from './policy';
import type { ImplicitMetaRule } from './policy';

/** A policy as configtx.yaml writes it: `{ type: 'ImplicitMeta', rule: 'MAJORITY Admins' }` or `{ type: 'Signature', rule: "OR('Org1MSP.admin')" }`. */
export interface PolicyModel {
  readonly type: 'ImplicitMeta' | 'Signature';
  readonly rule: string;
}

const ROLE_VALUES = ROLE_TO_PROTO;
const ROLE_NAMES = PROTO_TO_ROLE;

const IMPLICIT_META_RULES: readonly ImplicitMetaRule[] = ['ANY', 'ALL', 'MAJORITY'];

type Gate = 'AND' | 'OR' | 'OutOf';

// Exactly the spellings Fabric registers; lower-case `and`/`or` are operators to expr-lang, so
// Fabric 3 refuses them too.
const GATES: ReadonlyMap<string, Gate> = new Map([
  ['AND', 'AND'],
  ['And', 'AND'],
  ['OR', 'OR'],
  ['Or', 'OR'],
  ['OutOf', 'OutOf'],
  ['OUTOF', 'OutOf'],
  ['outof', 'OutOf'],
]);

// policydsl's principal regex: ASCII alphanumerics, dots and dashes. The split is at the last
// dot, as its greedy match does, so 'Org.With.Dots.admin' is MSP 'Org.With.Dots'.
const MSP_ID = /^[A-Za-z0-9.-]+$/;

// What formatSignaturePolicy prints for principals and rules the language cannot express.
const MARKER = /\.(?:identity|ou|role):|^(?:principal|index|rule):/;
const EMPTY_RULE = `'rule:empty'`;

function badPolicy(message: string, cause?: unknown): ConfigtxError {
  return new ConfigtxError(message, { code: 'CONFIGTX_BAD_POLICY', cause });
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

interface Token {
  readonly kind: 'name' | 'number' | 'string' | '(' | ')' | ',' | 'end';
  /** The source text; for a string, with its quotes. */
  readonly text: string;
  /** A string's content. */
  readonly value: string;
  /** 1-based position in the expression. */
  readonly at: number;
}

// Go's unicode.IsSpace, which expr-lang skips, is exactly Unicode's White_Space property.
const SPACE = /\p{White_Space}/u;
const NAME_START = /[\p{L}_$]/u;
const NAME_PART = /[\p{L}\p{Nd}_$]/u;
const DIGIT = /[0-9]/;

function describeToken(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : token.kind === 'string' ? token.text : `"${token.text}"`;
}

type Fail = (problem: string, at: number) => never;

/** The index just past a quoted string starting at `start`. */
function scanString(expression: string, start: number, fail: Fail): number {
  const quote = expression.charAt(start);
  let end = start + 1;
  // Only backquoted strings may span lines, as in expr-lang.
  while (end < expression.length && expression.charAt(end) !== quote && (quote === '`' || !/[\n\r]/.test(expression.charAt(end)))) end++;
  if (expression.charAt(end) !== quote) fail(`unterminated string ${expression.slice(start, end)}`, start + 1);
  if (quote !== '`' && expression.slice(start, end).includes('\\')) {
    fail(`escape sequences are not supported in ${expression.slice(start, end + 1)}`, start + 1);
  }
  return end + 1;
}

/** The index just past an integer starting at `start` (digits, maybe after a minus sign). */
function scanInteger(expression: string, start: number, fail: Fail): number {
  const isWordPart = (char: string): boolean => NAME_PART.test(char) || char === '.';
  let end = start + 1;
  while (DIGIT.test(expression.charAt(end))) end++;
  if (isWordPart(expression.charAt(end))) {
    while (isWordPart(expression.charAt(end))) end++;
    fail(`OutOf's n must be a decimal integer, got ${expression.slice(start, end)}`, start + 1);
  }
  return end;
}

function tokenize(expression: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  const push = (kind: Token['kind'], start: number, end: number, value = ''): void => {
    tokens.push({ kind, text: expression.slice(start, end), value, at: start + 1 });
  };
  let i = 0;
  while (i < expression.length) {
    const start = i;
    const char = expression.charAt(i);
    if (SPACE.test(char)) {
      i++;
    } else if (char === '(' || char === ')' || char === ',') {
      i++;
      push(char, start, i);
    } else if (char === "'" || char === '"' || char === '`') {
      i = scanString(expression, start, fail);
      push('string', start, i, expression.slice(start + 1, i - 1));
    } else if (DIGIT.test(char) || (char === '-' && DIGIT.test(expression.charAt(i + 1)))) {
      i = scanInteger(expression, start, fail);
      push('number', start, i);
    } else if (NAME_START.test(char)) {
      while (NAME_PART.test(expression.charAt(i))) i++;
      push('name', start, i);
    } else {
      const code = expression.codePointAt(i) ?? 0;
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      fail(`unexpected character ${JSON.stringify(String.fromCodePoint(code))} (U+${hex})`, start + 1);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', at: expression.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

interface PrincipalNode {
  readonly kind: 'principal';
  readonly mspId: string;
  readonly role: MspRole;
}

interface GateNode {
  readonly kind: 'gate';
  readonly n: number;
  readonly rules: readonly RuleNode[];
}

type RuleNode = PrincipalNode | GateNode;

/** Why a principal string is not `'MSPID.role'` as policydsl's regex wants it, else its parts. */
function readPrincipal(value: string, text: string): PrincipalNode | string {
  if (MARKER.test(value)) {
    return (
      `${text} stands for a principal the policy language cannot express: only 'MSPID.role' principals ` +
      `can be written (identity and OU principals, such as a BFT BlockValidation policy's orderer identities, cannot)`
    );
  }
  const dot = value.lastIndexOf('.');
  if (dot === -1) return `invalid principal ${text}: expected 'MSPID.role'`;
  const mspId = value.slice(0, dot);
  const role = value.slice(dot + 1);
  if (!Object.hasOwn(ROLE_VALUES, role)) {
    return `unknown role ${JSON.stringify(role)} in ${text}: expected member, admin, client, peer or orderer`;
  }
  if (!MSP_ID.test(mspId)) {
    return `invalid MSP ID ${JSON.stringify(mspId)} in ${text}: only ASCII letters, digits, "." and "-" are allowed`;
  }
  return { kind: 'principal', mspId, role: role as MspRole };
}

function parseExpression(expression: string): GateNode {
  const fail: Fail = (problem, at) => {
    throw badPolicy(`invalid policy expression ${JSON.stringify(expression)}: ${problem} at ${at}`);
  };
  const tokens = tokenize(expression, fail);
  let index = 0;
  const peek = (): Token => tokens[Math.min(index, tokens.length - 1)];
  const next = (): Token => {
    const token = peek();
    index++;
    return token;
  };

  const parseGate = (): GateNode => {
    const name = next();
    const gate = name.kind === 'name' ? GATES.get(name.text) : undefined;
    if (gate === undefined) {
      const hint = name.text === 'and' || name.text === 'or' ? ` (Fabric reads lower-case "${name.text}" as an operator)` : '';
      fail(`expected AND, OR or OutOf but found ${describeToken(name)}${hint}`, name.at);
    }
    const open = next();
    if (open.kind !== '(') fail(`expected "(" after ${name.text} but found ${describeToken(open)}`, open.at);
    let threshold: Token | undefined;
    if (gate === 'OutOf') {
      threshold = next();
      if (threshold.kind !== 'number') fail(`OutOf needs its n first but found ${describeToken(threshold)}`, threshold.at);
      const comma = next();
      if (comma.kind === ')') fail(`${name.text} needs at least one rule after n`, comma.at);
      if (comma.kind !== ',') fail(`expected "," after OutOf's n but found ${describeToken(comma)}`, comma.at);
    }
    const rules: RuleNode[] = [];
    for (;;) {
      // Fabric accepts a trailing comma, as expr-lang does in any call.
      if (peek().kind === ')') {
        if (rules.length === 0) fail(`${name.text} needs at least one rule`, peek().at);
        next();
        break;
      }
      rules.push(parseRule());
      const separator = next();
      if (separator.kind === ')') break;
      if (separator.kind === 'end') fail('missing ")"', separator.at);
      if (separator.kind !== ',') fail(`expected "," or ")" but found ${describeToken(separator)}`, separator.at);
    }
    if (threshold === undefined) return { kind: 'gate', n: gate === 'AND' ? rules.length : 1, rules };
    // `+ 0` turns -0 into 0, which is what Fabric's integer n is.
    const n = Number(threshold.text) + 0;
    if (n < 0) fail(`OutOf's n is negative (${threshold.text})`, threshold.at);
    // n = rules + 1 is allowed on purpose (a never-satisfiable policy, for immutable keys).
    if (n > rules.length + 1) {
      fail(`OutOf's n (${threshold.text}) exceeds its ${rules.length} rule(s) + 1`, threshold.at);
    }
    return { kind: 'gate', n, rules };
  };

  const parseRule = (): RuleNode => {
    const token = peek();
    if (token.kind === 'name') return parseGate();
    next();
    if (token.kind === 'end') fail('missing ")"', token.at);
    if (token.kind !== 'string') fail(`expected a principal or a gate but found ${describeToken(token)}`, token.at);
    const principal = readPrincipal(token.value, token.text);
    if (typeof principal === 'string') fail(principal, token.at);
    return principal;
  };

  const root = parseGate();
  const rest = peek();
  if (rest.kind !== 'end') fail(`unexpected ${describeToken(rest)} after the policy`, rest.at);
  return root;
}

function rolePrincipal({ mspId, role }: PrincipalNode): msp.MSPPrincipal {
  const mspRole = new msp.MSPRole();
  mspRole.setMspIdentifier(mspId);
  mspRole.setRole(ROLE_VALUES[role]);
  const principal = new msp.MSPPrincipal();
  principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  principal.setPrincipal(mspRole.serializeBinary());
  return principal;
}

/**
 * Parses a signature policy in Fabric's policydsl: gates `AND(...)`, `OR(...)` and `OutOf(n, ...)`
 * (spelt `AND`/`And`, `OR`/`Or`, `OutOf`/`OUTOF`/`outof`, as Fabric accepts them), nested,
 * over principals `'MSPID.role'` in single, double or back quotes, role one of member, admin,
 * client, peer, orderer. `AND` of k rules is `OutOf(k, ...)`, `OR` is `OutOf(1, ...)`; `OutOf`'s
 * n may range from 0 (always satisfied) to rules + 1 (never satisfied), as in Fabric.
 *
 * The envelope is byte-identical to policydsl.FromString's: repeated principals are not
 * de-duplicated, and identities are numbered in Fabric's evaluation order (a gate's nested gates
 * first, then its own principals), so `OR('A.member', AND('B.member', 'C.member'))` lists B, C, A.
 *
 * @param expression - the policy text, e.g. `OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')`.
 * @returns the SignaturePolicyEnvelope (version 0).
 * @throws ConfigtxError (CONFIGTX_BAD_POLICY) naming the problem and its 1-based position.
 */
export function parseSignaturePolicy(expression: string): common.SignaturePolicyEnvelope {
  const identities: msp.MSPPrincipal[] = [];
  const encode = (gate: GateNode): common.SignaturePolicy => {
    // Fabric's second pass runs nested gates while evaluating the arguments, so their principals
    // are numbered before the gate's own.
    const encoded = gate.rules.map((rule) => (rule.kind === 'gate' ? encode(rule) : rule));
    const outOf = new common.SignaturePolicy.NOutOf();
    outOf.setN(gate.n);
    outOf.setRulesList(
      encoded.map((item) => {
        if (item instanceof common.SignaturePolicy) return item;
        const signedBy = new common.SignaturePolicy();
        signedBy.setSignedBy(identities.push(rolePrincipal(item)) - 1);
        return signedBy;
      }),
    );
    const policy = new common.SignaturePolicy();
    policy.setNOutOf(outOf);
    return policy;
  };
  const rule = encode(parseExpression(expression));
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(rule);
  envelope.setIdentitiesList(identities);
  return envelope;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const CLASSIFICATION_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(msp.MSPPrincipal.Classification).map(([name, value]) => [value, name]),
);

function formatPrincipal(principal: msp.MSPPrincipal): string {
  const bytes = principal.getPrincipal_asU8();
  try {
    switch (principal.getPrincipalClassification()) {
      case msp.MSPPrincipal.Classification.ROLE: {
        const role = msp.MSPRole.deserializeBinary(bytes);
        const name = ROLE_NAMES.get(role.getRole());
        return `'${role.getMspIdentifier()}.${name ?? `role:${role.getRole()}`}'`;
      }
      case msp.MSPPrincipal.Classification.IDENTITY: {
        const identity = msp.SerializedIdentity.deserializeBinary(bytes);
        const digest = createHash('sha256').update(identity.getIdBytes_asU8()).digest('hex');
        return `'${identity.getMspid()}.identity:${digest.slice(0, 16)}'`;
      }
      case msp.MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        const unit = msp.OrganizationUnit.deserializeBinary(bytes);
        return `'${unit.getMspIdentifier()}.ou:${unit.getOrganizationalUnitIdentifier()}'`;
      }
      default: {
        const classification = principal.getPrincipalClassification();
        return `'principal:${CLASSIFICATION_NAMES.get(classification) ?? classification}'`;
      }
    }
  } catch {
    return `'principal:undecodable'`;
  }
}

function formatRule(rule: common.SignaturePolicy, identities: readonly msp.MSPPrincipal[]): string {
  switch (rule.getTypeCase()) {
    case common.SignaturePolicy.TypeCase.SIGNED_BY: {
      const index = rule.getSignedBy();
      const principal = index >= 0 ? identities.at(index) : undefined;
      return principal === undefined ? `'index:${index}'` : formatPrincipal(principal);
    }
    case common.SignaturePolicy.TypeCase.N_OUT_OF: {
      const outOf = rule.getNOutOf();
      if (outOf === undefined) return EMPTY_RULE;
      const n = outOf.getN();
      const rules = outOf.getRulesList().map((child) => formatRule(child, identities));
      const list = rules.join(', ');
      // AND and OR only where they parse back to the same n; AND(x) and OR(x) are both n = 1.
      if (rules.length >= 2 && n === rules.length) return `AND(${list})`;
      if (rules.length >= 1 && n === 1) return `OR(${list})`;
      return rules.length === 0 ? `OutOf(${n})` : `OutOf(${n}, ${list})`;
    }
    default:
      return EMPTY_RULE;
  }
}

/**
 * Renders a signature policy as canonical policydsl: `AND(...)` when n equals the number of rules
 * (two or more), `OR(...)` when n is 1, else `OutOf(n, ...)`; principals `'MSPID.role'`, `, `
 * between arguments. For every envelope {@link parseSignaturePolicy} produces, parsing this text
 * gives the same bytes.
 *
 * What the language cannot express is printed as a quoted marker that parsing refuses: an
 * IDENTITY principal (as in a BFT BlockValidation policy) as `'<mspid>.identity:<first 16 hex of
 * the sha256 of its id bytes>'`, an OU principal as `'<mspid>.ou:<OU>'`, other principals as
 * `'principal:<classification>'`, an unknown role as `'<mspid>.role:<n>'`, a SignedBy index out of
 * range as `'index:<i>'` and a missing rule as `'rule:empty'`.
 *
 * @param envelope - the signature policy.
 * @returns one line of policydsl.
 */
export function formatSignaturePolicy(envelope: common.SignaturePolicyEnvelope): string {
  const rule = envelope.getRule();
  return rule === undefined ? EMPTY_RULE : formatRule(rule, envelope.getIdentitiesList());
}

// ---------------------------------------------------------------------------------------------
// ImplicitMeta

/**
 * Parses an ImplicitMeta rule as configtxgen does (policies.ImplicitMetaFromString): exactly two
 * tokens separated by one space, the first `ANY`, `ALL` or `MAJORITY` in upper case, the second
 * the sub-policy name, taken as is (Fabric accepts even an empty one: `'ANY '`).
 *
 * @param rule - e.g. `MAJORITY Admins`.
 * @returns the rule and the sub-policy name.
 * @throws ConfigtxError (CONFIGTX_BAD_POLICY) for anything else.
 */
export function parseImplicitMetaRule(rule: string): { readonly rule: ImplicitMetaRule; readonly subPolicy: string } {
  const tokens = rule.split(' ');
  if (tokens.length !== 2) {
    throw badPolicy(
      `invalid ImplicitMeta rule ${JSON.stringify(rule)}: expected "<ANY|ALL|MAJORITY> <sub-policy>" ` +
        `separated by exactly one space, got ${tokens.length} space-separated token(s)`,
    );
  }
  const [name, subPolicy] = tokens as [string, string];
  const meta = IMPLICIT_META_RULES.find((candidate) => candidate === name);
  if (meta === undefined) {
    const problem = `unknown rule ${JSON.stringify(name)}, expected ANY, ALL or MAJORITY`;
    throw badPolicy(`invalid ImplicitMeta rule ${JSON.stringify(rule)}: ${problem}`);
  }
  return { rule: meta, subPolicy };
}

// ---------------------------------------------------------------------------------------------
// Models

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

/** Why a value is not shaped like a PolicyModel; the rule itself is not parsed here. */
function shapeProblem(model: unknown): string | undefined {
  if (typeof model !== 'object' || model === null || Array.isArray(model)) {
    return `a policy must be an object with "type" and "rule", got ${describeValue(model)}`;
  }
  const type = 'type' in model ? model.type : undefined;
  if (type !== 'ImplicitMeta' && type !== 'Signature') {
    return `policy type must be "ImplicitMeta" or "Signature" (case-sensitive, as configtxgen reads it), got ${describeValue(type)}`;
  }
  const rule = 'rule' in model ? model.rule : undefined;
  if (typeof rule !== 'string') return `policy rule must be a string, got ${describeValue(rule)}`;
  return undefined;
}

/**
 * Builds the config Policy for a configtx.yaml `Type`/`Rule`, byte for byte as configtxgen's
 * encoder does: IMPLICIT_META with an ImplicitMetaPolicy, or SIGNATURE with policydsl's envelope.
 *
 * @param model - the policy.
 * @returns the Policy message.
 * @throws ConfigtxError (CONFIGTX_BAD_POLICY) if the type is unknown or the rule does not parse.
 */
export function policyFromModel(model: PolicyModel): common.Policy {
  const problem = shapeProblem(model);
  if (problem !== undefined) throw badPolicy(problem);
  if (model.type === 'ImplicitMeta') {
    const { rule, subPolicy } = parseImplicitMetaRule(model.rule);
    return implicitMetaPolicy(rule, subPolicy);
  }
  return signaturePolicy(parseSignaturePolicy(model.rule));
}

/** A policy's type and rule text, without checking that the text parses back. */
function readPolicy(policy: common.Policy): PolicyModel {
  const type = policy.getType();
  const value = policy.getValue_asU8();
  switch (type) {
    case common.Policy.PolicyType.SIGNATURE: {
      let envelope: common.SignaturePolicyEnvelope;
      try {
        envelope = common.SignaturePolicyEnvelope.deserializeBinary(value);
      } catch (error) {
        throw badPolicy('SIGNATURE policy value does not decode as a SignaturePolicyEnvelope', error);
      }
      return { type: 'Signature', rule: formatSignaturePolicy(envelope) };
    }
    case common.Policy.PolicyType.IMPLICIT_META: {
      let meta: common.ImplicitMetaPolicy;
      try {
        meta = common.ImplicitMetaPolicy.deserializeBinary(value);
      } catch (error) {
        throw badPolicy('IMPLICIT_META policy value does not decode as an ImplicitMetaPolicy', error);
      }
      return { type: 'ImplicitMeta', rule: `${implicitMetaRuleName(meta.getRule())} ${meta.getSubPolicy()}` };
    }
    default: {
      const name = Object.entries(common.Policy.PolicyType).find(([, candidate]) => candidate === type)?.[0] ?? 'unknown';
      throw badPolicy(`policy type ${type} (${name}) is neither SIGNATURE nor IMPLICIT_META`);
    }
  }
}

/**
 * Reads a config Policy back as configtx.yaml would write it, in canonical text, so
 * `policyToModel(policyFromModel(m))` normalises `m` and is idempotent.
 *
 * @param policy - the Policy message.
 * @returns the model.
 * @throws ConfigtxError (CONFIGTX_BAD_POLICY) if the type is neither SIGNATURE nor IMPLICIT_META,
 *   the value does not decode, or the policy cannot be written as a `Type`/`Rule` (e.g. a BFT
 *   BlockValidation policy over orderer identities, or a sub-policy name containing a space).
 */
export function policyToModel(policy: common.Policy): PolicyModel {
  const model = readPolicy(policy);
  const problem = policyModelProblem(model);
  if (problem !== undefined) throw badPolicy(`policy ${model.rule} cannot be written as a configtx.yaml Type/Rule: ${problem}`);
  return model;
}

/**
 * One line for diffs and audits: `MAJORITY Admins` or `OutOf(2, 'Org1MSP.admin', 'Org2MSP.admin')`.
 * Unlike {@link policyToModel} it also renders policies the language cannot express, with the
 * markers of {@link formatSignaturePolicy} (and `UNKNOWN(<n>)` for an unknown ImplicitMeta rule).
 *
 * @param policy - the Policy message.
 * @returns the text.
 * @throws ConfigtxError (CONFIGTX_BAD_POLICY) if the type is neither SIGNATURE nor IMPLICIT_META or the value does not decode.
 */
export function formatPolicy(policy: common.Policy): string {
  return readPolicy(policy).rule;
}

/**
 * Why a value is not a valid PolicyModel: not an object, type not `ImplicitMeta`/`Signature`,
 * rule not a string or not parsable for its type.
 *
 * @param model - any value, e.g. parsed from JSON or YAML.
 * @returns the problem, or undefined if {@link policyFromModel} accepts it.
 */
export function policyModelProblem(model: unknown): string | undefined {
  const problem = shapeProblem(model);
  if (problem !== undefined) return problem;
  try {
    policyFromModel(model as PolicyModel);
  } catch (error) {
    if (error instanceof ConfigtxError) return error.message;
    throw error;
  }
  return undefined;
}

/**
 * The MSP IDs a signature policy names (ROLE principals), in first-appearance order: as the rule
 * mentions them (the order of the formatted text), then any other listed identities.
 *
 * @param envelope - the signature policy.
 * @returns the MSP IDs, each once.
 */
export function signaturePolicyMspIds(envelope: common.SignaturePolicyEnvelope): string[] {
  const identities = envelope.getIdentitiesList();
  const found = new Set<string>();
  const add = (principal: msp.MSPPrincipal | undefined): void => {
    if (principal?.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) return;
    try {
      found.add(msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier());
    } catch {
      // An undecodable principal names no MSP.
    }
  };
  const visit = (rule: common.SignaturePolicy | undefined): void => {
    if (rule?.getTypeCase() === common.SignaturePolicy.TypeCase.SIGNED_BY) {
      const index = rule.getSignedBy();
      add(index >= 0 ? identities.at(index) : undefined);
    } else {
      for (const child of rule?.getNOutOf()?.getRulesList() ?? []) visit(child);
    }
  };
  visit(envelope.getRule());
  for (const principal of identities) add(principal);
  return [...found];
}
