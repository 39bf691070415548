/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { EARTH_RADIUS_KM, Network, distanceKm, drawOverlay, isStronglyConnected, latencyForDistance, messageDelay } from './network';
import { Rng } from './rng';

const KM_PER_MILE = 1 / 0.621371;

describe('latency from distance (Goonatillake and Bachnak, halved)', () => {
  it.each([
    // [km, expected one-way seconds], worked by hand from RTT_ms = 0.022 * miles + 4.862.
    ['same place', 0, 4.862 / 2 / 1000],
    ['1000 miles', 1000 * KM_PER_MILE, (22 + 4.862) / 2 / 1000],
    ['10000 miles', 10000 * KM_PER_MILE, (220 + 4.862) / 2 / 1000],
  ])('%s', (_name, km, expected) => {
    expect(latencyForDistance(km)).toBeCloseTo(expected, 12);
  });

  it('measures great-circle distances', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 90 })).toBeCloseTo((Math.PI / 2) * EARTH_RADIUS_KM, 6);
    expect(distanceKm({ lat: 90, lon: 0 }, { lat: -90, lon: 0 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
    expect(distanceKm({ lat: 51.51, lon: -0.13 }, { lat: 51.51, lon: -0.13 })).toBe(0);
  });
});

describe('Network.delay', () => {
  const peers = new Int32Array([1, 0]);
  const positions = [
    { lat: 0, lon: 0 },
    { lat: 0, lon: 90 },
  ];

  it('is latency plus size over bandwidth (sd 0: exact)', () => {
    const net = new Network(positions, peers, 1, { mean: 10, sd: 0, min: 0.1 }, new Rng(1));
    const latency = latencyForDistance((Math.PI / 2) * EARTH_RADIUS_KM);
    // Quarter of the equator: 6218.4 miles, RTT 141.666 ms, one way 70.833 ms; 1 MB at 10 MB/s: 100 ms.
    expect(latency).toBeCloseTo(0.070833, 5);
    expect(net.delay(0, 1, 1)).toBeCloseTo(latency + 0.1, 12);
    expect(net.delay(1, 0, 0.25)).toBeCloseTo(latency + 0.025, 12);
    expect(net.delay(0, 0, 1)).toBeCloseTo(0.002431 + 0.1, 12);
    expect(messageDelay(0.01, 2, 4)).toBe(0.51);
    expect(net.messages).toBe(3);
  });

  it('draws the bandwidth per message from Normal(mean, sd), floored at the minimum', () => {
    const net = new Network(positions, peers, 1, { mean: 10, sd: 0.5, min: 0.1 }, new Rng(9));
    const twin = new Rng(9);
    for (let i = 0; i < 100; i++) {
      const bw = Math.max(0.1, 10 + 0.5 * twin.gaussian());
      expect(net.delay(0, 0, 1)).toBeCloseTo(0.002431 + 1 / bw, 9);
    }
    const floored = new Network(positions, peers, 1, { mean: 1, sd: 100, min: 0.5 }, new Rng(2));
    for (let i = 0; i < 100; i++) {
      expect(floored.delay(0, 0, 1)).toBeLessThanOrEqual(0.002431 + 1 / 0.5 + 1e-12);
    }
  });
});

describe('overlay', () => {
  it('gives every node k distinct peers other than itself, strongly connected', () => {
    const n = 32;
    const k = 16;
    const peers = drawOverlay(n, k, new Rng(1));
    for (let i = 0; i < n; i++) {
      const mine = Array.from(peers.subarray(i * k, (i + 1) * k));
      expect(new Set(mine).size).toBe(k);
      expect(mine).not.toContain(i);
    }
    expect(isStronglyConnected(peers, n, k)).toBe(true);
  });

  it('tells a disconnected overlay', () => {
    // 0 <-> 1 and 2 <-> 3: two islands.
    expect(isStronglyConnected(new Int32Array([1, 0, 3, 2]), 4, 1)).toBe(false);
  });
});
