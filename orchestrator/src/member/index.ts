/*
 * SPDX-License-Identifier: Apache-2.0
 */
export { startMemberPrimary } from './memberPrimary';
export type { MemberPrimary, MemberPrimaryOptions } from './memberPrimary';
