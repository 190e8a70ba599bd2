import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { InputError } from '../../src/errors.js';
import { evaluate } from '../../src/eval/evaluator.js';
import { argmax, emptyTally, latencyStats, mergeTallies, percentile, rankOf, recordSample, summarize } from '../../src/eval/metrics.js';
import type { Runner } from '../../src/eval/runner.js';
import type { TensorData } from '../../src/ir/types.js';

describe('metrics', () => {
  it('ranks with ties broken by class index', () => {
    expect(argmax([1, 3, 3, 0])).toBe(1);
    expect(rankOf([1, 3, 3, 0], 1)).toBe(0);
    expect(rankOf([1, 3, 3, 0], 2)).toBe(1);
    expect(rankOf([1, 3, 3, 0], 3)).toBe(3);
  });

  it('tallies top-1, top-5 and the confusion matrix', () => {
    const t = emptyTally(7, 'ms');
    recordSample(t, [0, 9, 1, 2, 3, 4, 5], 1, 2); // top-1
    recordSample(t, [9, 0, 1, 2, 3, 4, 5], 6, 3); // rank 1: top-5
    recordSample(t, [6, 5, 4, 3, 2, 1, 0], 6, 1); // rank 6: neither
    const s = summarize(t);
    expect(s).toMatchObject({ samples: 3, classes: 7, top1: 1 / 3, top5: 2 / 3 });
    expect(s.confusion[1][1]).toBe(1);
    expect(s.confusion[6][0]).toBe(2);
    expect(s.latency).toEqual({ unit: 'ms', min: 1, median: 2, p99: 3, mean: 2 });
    expect(summarize(emptyTally(3, 'ms')).top5).toBeNull(); // 5 classes or fewer: no top-5
    expect(() => recordSample(t, [1, 2, 3, 4, 5, 6, 7], 7)).toThrow(RangeError);
  });

  it('merges tallies purely, as if one runner had seen every sample', () => {
    const all = emptyTally(3, 'cycles');
    const a = emptyTally(3, 'cycles');
    const b = emptyTally(3, 'cycles');
    const cases: [number[], number, number][] = [
      [[1, 0, 0], 0, 100],
      [[0, 1, 0], 2, 120],
      [[0, 0, 1], 2, 90],
      [[0, 1, 0], 1, 110],
      [[1, 0, 0], 1, 300],
    ];
    cases.forEach(([s, l, lat], i) => {
      recordSample(all, s, l, lat);
      recordSample(i % 2 ? a : b, s, l, lat);
    });
    const snapshot = JSON.stringify([a, b]);
    const merged = mergeTallies([a, b]);
    expect(JSON.stringify([a, b])).toBe(snapshot);
    expect(summarize(merged)).toEqual(summarize(all));
    expect(() => mergeTallies([a, emptyTally(4, 'cycles')])).toThrow(/classes/);
  });

  it('percentiles are nearest-rank; the median averages the middle pair', () => {
    const v = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(v, 99)).toBe(198);
    expect(percentile([5], 99)).toBe(5);
    expect(latencyStats([4, 1, 3, 2], 'ms')).toMatchObject({ min: 1, median: 2.5, p99: 4 });
    expect(latencyStats([], 'ms')).toBeNull();
  });
});

/** Scores: class (i % 3) wins, except every 4th sample predicts class 0. */
function fakeRunner(unit = 'us', delayEvery = 0): Runner & { calls: number } {
  let last = 0;
  const r = {
    name: 'fake',
    latencyUnit: unit,
    calls: 0,
    async run(inputs: TensorData[]): Promise<TensorData[]> {
      r.calls++;
      const i = (inputs[0] as Float32Array)[0];
      last = 10 + (i % 5);
      if (delayEvery && r.calls % delayEvery === 0) await new Promise((res) => setTimeout(res, 1));
      const scores = new Float32Array(3);
      scores[i % 4 === 3 ? 0 : i % 3] = 1;
      return [scores];
    },
    lastLatency: () => last,
  };
  return r;
}

function fakeDataset(n: number): Dataset {
  return {
    source: 'fake',
    count: n,
    sampleShape: [1],
    dtype: 'float32',
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    sample: (i) => Float32Array.from([i]),
  };
}

describe('evaluate', () => {
  const preprocess = (raw: Float32Array): TensorData => raw;

  it('streams samples through one or several runners with the same result', async () => {
    const one = await evaluate({ runners: [fakeRunner()], dataset: fakeDataset(40), preprocess, classes: 3 });
    const runners = [fakeRunner('us', 3), fakeRunner('us', 5)];
    const two = await evaluate({ runners, dataset: fakeDataset(40), preprocess, classes: 3 });
    expect(one.samples).toBe(40);
    expect(one.top1).toBe(34 / 40); // wrong only where i % 4 == 3 and i % 3 != 0
    expect(one.top5).toBeNull();
    expect(two.samples).toBe(40);
    expect(two.top1).toBe(one.top1);
    expect(two.confusion).toEqual(one.confusion);
    expect(two.latency).toEqual(one.latency);
    expect(runners[0].calls + runners[1].calls).toBe(40);
    expect(runners[0].calls).toBeGreaterThan(0);
    expect(runners[1].calls).toBeGreaterThan(0);
    expect(one.latency).toMatchObject({ unit: 'us', min: 10, p99: 14 });
  });

  it('honours limit, reports progress and stops early on abort', async () => {
    const progress: number[] = [];
    const limited = await evaluate({ runners: [fakeRunner()], dataset: fakeDataset(40), preprocess, classes: 3, limit: 10, onProgress: (p) => progress.push(p.done) });
    expect(limited.samples).toBe(10);
    expect(limited.interrupted).toBe(false);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ac = new AbortController();
    const r = await evaluate({
      runners: [fakeRunner()],
      dataset: fakeDataset(1000),
      preprocess,
      classes: 3,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done === 25) ac.abort();
      },
    });
    expect(r.interrupted).toBe(true);
    expect(r.samples).toBe(25);
    expect(r.requested).toBe(1000);
  });

  it('reports labels outside the model classes and runner failures', async () => {
    const ds = fakeDataset(5);
    ds.labels[3] = 7;
    await expect(evaluate({ runners: [fakeRunner()], dataset: ds, preprocess, classes: 3 })).rejects.toThrow(InputError);
    const failing: Runner = { name: 'x', latencyUnit: 'ms', run: () => Promise.reject(new Error('board went away')), lastLatency: () => undefined };
    await expect(evaluate({ runners: [fakeRunner(), failing], dataset: fakeDataset(50), preprocess, classes: 3 })).rejects.toThrow(/board went away/);
  });
});
