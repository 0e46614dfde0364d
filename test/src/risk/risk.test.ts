import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { riskClassOf, riskOf, type RiskClass } from '../../../src/risk/risk.js';

describe('riskOf: priority x reliability x asset value / 25, integer division (go-dsiem.md 3.4, D1)', () => {
  const table: Array<[number, number, number, number]> = [
    [3, 6, 5, 3], // 90 / 25
    [5, 10, 6, 12], // 300 / 25: no 8-bit wrap (the Rust port gives 1)
    [5, 10, 255, 510], // 12750 / 25
    [3, 1, 5, 0], // 15 / 25
    [3, 10, 5, 6], // 150 / 25
    [3, 3, 5, 1], // 45 / 25
    [5, 10, 5, 10],
    [1, 1, 24, 0],
    [1, 1, 25, 1],
    [1, 1, 49, 1],
    [1, 1, 50, 2],
    [5, 0, 5, 0], // reliability 0
    [3, 10, 0, 0], // no asset value
    [4, 7, 9, 10], // 252 / 25
    [4, 8, 9, 11], // 288 / 25 (wraps to 1 in 8 bits)
  ];
  for (const [priority, reliability, value, risk] of table) {
    it(`gives ${risk} for priority ${priority}, reliability ${reliability}, asset value ${value}`, () => {
      assert.equal(riskOf(priority, reliability, value), risk);
    });
  }
});

describe('riskClassOf with thresholds 3/6', () => {
  const thresholds = { mediumMin: 3, mediumMax: 6 };
  const table: Array<[number, RiskClass]> = [
    [0, 'Low'],
    [1, 'Low'],
    [2, 'Low'],
    [3, 'Medium'],
    [4, 'Medium'],
    [6, 'Medium'],
    [7, 'High'],
    [10, 'High'],
    [12, 'High'],
  ];
  for (const [risk, cls] of table) {
    it(`classifies risk ${risk} as ${cls}`, () => {
      assert.equal(riskClassOf(risk, thresholds), cls);
    });
  }
});

describe('riskClassOf with other thresholds', () => {
  it('classifies with thresholds 1/5 as directive6 of the Rust port does (1 Medium, 6 High)', () => {
    const t = { mediumMin: 1, mediumMax: 5 };
    assert.deepEqual([0, 1, 5, 6].map((r) => riskClassOf(r, t)), ['Low', 'Medium', 'Medium', 'High']);
  });

  it('has a one-value Medium band when both thresholds are equal', () => {
    const t = { mediumMin: 4, mediumMax: 4 };
    assert.deepEqual([3, 4, 5].map((r) => riskClassOf(r, t)), ['Low', 'Medium', 'High']);
  });
});
