/*
 * SPDX-License-Identifier: Apache-2.0
 */
export { consortiumOf, genesisMembersProblem, startMemberPrimary } from './memberPrimary';
export type { MemberPrimary, MemberPrimaryOptions } from './memberPrimary';
