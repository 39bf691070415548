/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The network model. Nodes sit at geographic locations; the one-way latency of a link follows
 * the distance regression of Goonatillake and Bachnak (the paper's reference [11]),
 * `RTT_ms = 0.022 * miles + 4.862`, halved; a message of `s` MB takes `s / b` seconds to transmit,
 * with the bandwidth `b` drawn per message from Normal(mean, sd) floored at `min` MB/s. Links do
 * not queue: concurrent messages on a link do not slow each other (the paper's simulator makes
 * the same simplification). Gossip runs over a random overlay in which every node forwards to
 * `peers` distinct random other nodes.
 */

import type { Rng } from './rng';
import { ScenarioError } from './scenario';
import type { NetworkSpec } from './scenario';

/** A point on the globe, in degrees. */
export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

/** Mean Earth radius in km (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;
const KM_TO_MILES = 0.621371;

/**
 * Cities that host cloud regions, spread over the continents: the `cities` location model picks
 * one per node, as the paper's simulator picks from its own table of cities.
 */
export const CITIES: readonly (GeoPoint & { readonly name: string })[] = [
  { name: 'Amsterdam', lat: 52.37, lon: 4.9 },
  { name: 'Ashburn', lat: 39.04, lon: -77.49 },
  { name: 'Atlanta', lat: 33.75, lon: -84.39 },
  { name: 'Bangalore', lat: 12.97, lon: 77.59 },
  { name: 'Beijing', lat: 39.9, lon: 116.41 },
  { name: 'Cape Town', lat: -33.92, lon: 18.42 },
  { name: 'Chicago', lat: 41.88, lon: -87.63 },
  { name: 'Dallas', lat: 32.78, lon: -96.8 },
  { name: 'Dubai', lat: 25.2, lon: 55.27 },
  { name: 'Frankfurt', lat: 50.11, lon: 8.68 },
  { name: 'Hong Kong', lat: 22.32, lon: 114.17 },
  { name: 'Jakarta', lat: -6.21, lon: 106.85 },
  { name: 'Johannesburg', lat: -26.2, lon: 28.05 },
  { name: 'London', lat: 51.51, lon: -0.13 },
  { name: 'Los Angeles', lat: 34.05, lon: -118.24 },
  { name: 'Madrid', lat: 40.42, lon: -3.7 },
  { name: 'Melbourne', lat: -37.81, lon: 144.96 },
  { name: 'Mexico City', lat: 19.43, lon: -99.13 },
  { name: 'Milan', lat: 45.46, lon: 9.19 },
  { name: 'Montreal', lat: 45.5, lon: -73.57 },
  { name: 'Mumbai', lat: 19.08, lon: 72.88 },
  { name: 'Osaka', lat: 34.69, lon: 135.5 },
  { name: 'Paris', lat: 48.86, lon: 2.35 },
  { name: 'Santiago', lat: -33.45, lon: -70.67 },
  { name: 'Sao Paulo', lat: -23.55, lon: -46.63 },
  { name: 'Seoul', lat: 37.57, lon: 126.98 },
  { name: 'Shenzhen', lat: 22.54, lon: 114.06 },
  { name: 'Singapore', lat: 1.35, lon: 103.82 },
  { name: 'Stockholm', lat: 59.33, lon: 18.07 },
  { name: 'Sydney', lat: -33.87, lon: 151.21 },
  { name: 'Tel Aviv', lat: 32.09, lon: 34.78 },
  { name: 'Tokyo', lat: 35.68, lon: 139.69 },
  { name: 'Toronto', lat: 43.65, lon: -79.38 },
  { name: 'Warsaw', lat: 52.23, lon: 21.01 },
  { name: 'Zurich', lat: 47.37, lon: 8.54 },
];

/** Great-circle distance in km (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** One-way latency in seconds for a distance in km: half the fitted round trip `0.022 * miles + 4.862` ms. */
export function latencyForDistance(km: number): number {
  return (0.022 * km * KM_TO_MILES + 4.862) / 2 / 1000;
}

/** Time to move `sizeMB` over one link at `bandwidthMBps`, plus the link's latency, in seconds. */
export function messageDelay(latencySec: number, sizeMB: number, bandwidthMBps: number): number {
  return latencySec + sizeMB / bandwidthMBps;
}

/** The built network: positions, latencies, gossip overlay and the per-message bandwidth source. */
export class Network {
  readonly n: number;
  readonly positions: readonly GeoPoint[];
  /** One-way latency in seconds, row-major `[from * n + to]`. */
  readonly latency: Float64Array;
  /** Gossip out-peers, row-major `[node * k + i]`. */
  readonly peers: Int32Array;
  readonly k: number;
  private readonly bwMean: number;
  private readonly bwSd: number;
  private readonly bwMin: number;
  private readonly bwRng: Rng;
  /** Messages sent, for statistics. */
  messages = 0;

  constructor(positions: readonly GeoPoint[], peers: Int32Array, k: number, bandwidth: NetworkSpec['bandwidthMBps'], bwRng: Rng) {
    const n = positions.length;
    this.n = n;
    this.positions = positions;
    this.k = k;
    this.peers = peers;
    this.latency = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        this.latency[i * n + j] = latencyForDistance(distanceKm(positions[i], positions[j]));
      }
    }
    this.bwMean = bandwidth.mean;
    this.bwSd = bandwidth.sd;
    this.bwMin = bandwidth.min;
    this.bwRng = bwRng;
  }

  /** A bandwidth for one message, in MB/s. */
  sampleBandwidth(): number {
    if (this.bwSd === 0) {
      return this.bwMean;
    }
    const b = this.bwMean + this.bwSd * this.bwRng.gaussian();
    return b < this.bwMin ? this.bwMin : b;
  }

  /**
   * Arrival times of one message of `sizeMB` sent at `at` from node `from` to each node of `to`
   * but index `skip`, into `out` (same index): the same draws and sums as {@link delay} per
   * message, in one loop (all-to-all votes make this the simulator's hottest path).
   */
  arrivals(from: number, to: Int32Array, skip: number, sizeMB: number, at: number, out: Float64Array): void {
    const row = from * this.n;
    const latency = this.latency;
    for (let i = 0; i < to.length; i++) {
      if (i !== skip) {
        out[i] = at + (latency[row + to[i]] + sizeMB / this.sampleBandwidth());
      }
    }
    this.messages += skip >= 0 && skip < to.length ? to.length - 1 : to.length;
  }

  /** Delay of one message of `sizeMB` from `from` to `to`: latency plus transmission at a freshly sampled bandwidth. */
  delay(from: number, to: number, sizeMB: number): number {
    this.messages++;
    return (this.latency[from * this.n + to]) + sizeMB / this.sampleBandwidth();
  }
}

/** Draws node positions. */
export function drawPositions(n: number, model: NetworkSpec['locations'], rng: Rng): GeoPoint[] {
  const points: GeoPoint[] = [];
  for (let i = 0; i < n; i++) {
    if (model === 'cities') {
      const city = CITIES[rng.int(CITIES.length)] as GeoPoint;
      points.push({ lat: city.lat, lon: city.lon });
    } else {
      // Uniform on the sphere: uniform longitude, latitude with density cos(lat).
      const lat = (Math.asin(2 * rng.next() - 1) * 180) / Math.PI;
      points.push({ lat, lon: 360 * rng.next() - 180 });
    }
  }
  return points;
}

/** Whether every node reaches every other one over the directed overlay. */
export function isStronglyConnected(peers: Int32Array, n: number, k: number): boolean {
  const reach = (reverse: boolean): boolean => {
    const adj: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const p = peers[i * k + j];
        (reverse ? (adj[p]) : (adj[i])).push(reverse ? i : p);
      }
    }
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    let count = 1;
    while (stack.length > 0) {
      const v = stack.pop() as number;
      for (const w of adj[v]) {
        if (seen[w] === 0) {
          seen[w] = 1;
          count++;
          stack.push(w);
        }
      }
    }
    return count === n;
  };
  return reach(false) && reach(true);
}

/**
 * A random overlay: each node picks `k` distinct other nodes. Redrawn (from the same stream) until
 * every node can reach every other one, so that gossip always completes.
 *
 * @throws ScenarioError when no connected overlay is found in 1000 draws (k far too small for n).
 */
export function drawOverlay(n: number, k: number, rng: Rng): Int32Array {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const peers = new Int32Array(n * k);
    for (let i = 0; i < n; i++) {
      rng.sample(n, k, i).forEach((p, j) => {
        peers[i * k + j] = p;
      });
    }
    if (isStronglyConnected(peers, n, k)) {
      return peers;
    }
  }
  throw new ScenarioError('scenario', [`network.peers: no connected overlay of ${n} nodes with ${k} peers each in 1000 draws; raise network.peers`]);
}

/** Builds the network of a scenario from named random streams of `rng`. */
export function buildNetwork(spec: NetworkSpec, rng: Rng): Network {
  const positions = drawPositions(spec.nodes, spec.locations, rng.fork('positions'));
  const peers = drawOverlay(spec.nodes, spec.peers, rng.fork('overlay'));
  return new Network(positions, peers, spec.peers, spec.bandwidthMBps, rng.fork('bandwidth'));
}
