/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A member's own twin behind HTTP: the management node POSTs the question as JSON and checks the
 * answer's shape before using it, so a broken service shows up as a clear error, never as a
 * vote or a proposal made of garbage.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { TwinError } from './errors';
import type { DigitalTwin, TwinState, Verdict } from './twin';

/** Options of {@link HttpTwin}. */
export interface HttpTwinOptions {
  /** The service's URL (http or https); every question is a POST to it. */
  readonly url: string;
  /** How long to wait for an answer, in ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. an authorisation token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Name in messages, `http` by default. */
  readonly name?: string;
  /** The fetch implementation, global `fetch` by default (tests may inject one). */
  readonly fetch?: typeof fetch;
}

/** The request body: `{op: 'decide', state}` or `{op: 'validate', state, config}`. */
export type HttpTwinRequest =
  | { readonly op: 'decide'; readonly state: TwinState }
  | { readonly op: 'validate'; readonly state: TwinState; readonly config: Record<string, unknown> };

/** Default answer timeout. */
export const DEFAULT_HTTP_TWIN_TIMEOUT_MS = 2000;

const ajv = new Ajv({ allErrors: true, strict: true });

/** `decide` answers `{"config": {...}}`. */
const decideAnswer: ValidateFunction<{ config: Record<string, unknown> }> = ajv.compile({
  type: 'object',
  properties: { config: { type: 'object' } },
  required: ['config'],
});

/** `validate` answers `{"approve": true|false, "reason": "..."}`. */
const validateAnswer: ValidateFunction<Verdict> = ajv.compile({
  type: 'object',
  properties: { approve: { type: 'boolean' }, reason: { type: 'string', maxLength: 1024 } },
  required: ['approve', 'reason'],
});

function shapeProblem(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath === '' ? 'the answer' : e.instancePath} ${e.message ?? 'is invalid'}`).join('; ');
}

/**
 * A twin that asks a member's own HTTP service.
 *
 * Protocol: `POST <url>` with `content-type: application/json` and body
 * `{"op": "decide", "state": TwinState}` or `{"op": "validate", "state": TwinState, "config": {...}}`.
 * The service answers 2xx with `{"config": {...}}` to `decide` and
 * `{"approve": boolean, "reason": string}` (reason at most 1024 characters) to `validate`.
 * Extra fields are ignored.
 *
 * @example
 * const twin = new HttpTwin({ url: 'http://127.0.0.1:8080/twin', timeoutMs: 1500 });
 */
export class HttpTwin implements DigitalTwin {
  readonly name: string;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetch: typeof fetch;

  /**
   * @throws {@link TwinError} `TWIN_BAD_INPUT` for a URL that is not http(s) or a timeout that
   * is not a positive integer.
   */
  constructor(options: Readonly<HttpTwinOptions>) {
    this.name = options.name ?? 'http';
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (err) {
      throw new TwinError('TWIN_BAD_INPUT', this.name, `not a URL: ${JSON.stringify(options.url)}`, { cause: err });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TwinError('TWIN_BAD_INPUT', this.name, `URL must be http or https, got ${url.protocol}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TWIN_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
      throw new TwinError('TWIN_BAD_INPUT', this.name, `timeout must be a positive integer of ms, got ${timeoutMs}`);
    }
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.headers = options.headers ?? {};
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * Asks the service for a configuration.
   *
   * @throws {@link TwinError} `TWIN_TIMEOUT`, `TWIN_UNREACHABLE`, `TWIN_HTTP_STATUS`,
   * `TWIN_BAD_JSON` or `TWIN_BAD_ANSWER`.
   */
  async decide(state: TwinState): Promise<Record<string, unknown>> {
    const answer = await this.ask({ op: 'decide', state });
    if (!decideAnswer(answer)) {
      throw new TwinError('TWIN_BAD_ANSWER', this.name, `answer to decide from ${this.url.href} is not {"config": {...}}: ${shapeProblem(decideAnswer)}`);
    }
    return answer.config;
  }

  /**
   * Asks the service for a verdict on a configuration.
   *
   * @throws {@link TwinError} `TWIN_TIMEOUT`, `TWIN_UNREACHABLE`, `TWIN_HTTP_STATUS`,
   * `TWIN_BAD_JSON` or `TWIN_BAD_ANSWER`.
   */
  async validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict> {
    const answer = await this.ask({ op: 'validate', state, config });
    if (!validateAnswer(answer)) {
      throw new TwinError(
        'TWIN_BAD_ANSWER',
        this.name,
        `answer to validate from ${this.url.href} is not {"approve": boolean, "reason": string}: ${shapeProblem(validateAnswer)}`,
      );
    }
    return { approve: answer.approve, reason: answer.reason };
  }

  private async ask(request: HttpTwinRequest): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...this.headers },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new TwinError('TWIN_TIMEOUT', this.name, `no answer to ${request.op} from ${this.url.href} within ${this.timeoutMs} ms`, { cause: err });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new TwinError('TWIN_UNREACHABLE', this.name, `cannot reach ${this.url.href} (${why}): is the twin service running?`, { cause: err });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      throw new TwinError(
        timedOut ? 'TWIN_TIMEOUT' : 'TWIN_UNREACHABLE',
        this.name,
        timedOut ? `answer to ${request.op} from ${this.url.href} did not complete within ${this.timeoutMs} ms` : `reading the answer from ${this.url.href}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!response.ok) {
      throw new TwinError('TWIN_HTTP_STATUS', this.name, `${this.url.href} answered ${request.op} with HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new TwinError('TWIN_BAD_JSON', this.name, `answer to ${request.op} from ${this.url.href} is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: err });
    }
  }
}
