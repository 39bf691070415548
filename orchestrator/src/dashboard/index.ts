/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt dashboard`: a read-only web dashboard over an export file or a live network. The server
 * (guard, logins, server, sources) is here; the page is in ./web, bundled by `npm run build`.
 */
export { openExportSource } from './exportSource';
export { cookieValue, guardDashboardRequest, newSecret, ownOrigins, secretsEqual, SESSION_COOKIE } from './guard';
export type { DashboardGuardPolicy, DashboardRefusal, DashboardRefusalCode, DashboardVerdict, GuardedRequest } from './guard';
export { openLiveSource } from './liveSource';
export type { LiveSourceOptions } from './liveSource';
export { LOGIN_TTL_MS, LoginBook } from './logins';
export { DEFAULT_ASSETS_DIR, startDashboardServer } from './server';
export type { DashboardServer, DashboardServerOptions } from './server';
export type { DashboardSource } from './source';
export { HealthConfigError, parseHealthFlag, resolveHealthTargets } from './healthTargets';
export type { HealthFlag, HealthTarget, HealthTlsFiles } from './healthTargets';
export { HEALTH_POLL_DEFAULTS, startHealthPoller } from './healthPoller';
export type { HealthPoller, HealthPollerOptions } from './healthPoller';
export type { DashboardEvent, DashboardMode, DashboardState, LiveStatus, MemberActivity, MemberLiveness, MembersStatus, NodeHealth, NodeHealthState } from './types';
