/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { h } from 'preact';
import type { VNode } from 'preact';
import htm from 'htm';

/** Preact's h with template literals (htm): no JSX build step. */
export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
