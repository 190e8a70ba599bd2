/**
 * Shape arithmetic under an unfixed batch (what the TFLite converter writes for Keras's Flatten
 * and Reshape) folds to constants: the RESHAPE reads a constant shape and the shape ops vanish.
 */
import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { foldShapeArithmetic } from '../../src/passes/shape-fold.js';
import { GraphBuilder, perTensor } from './graph-builder.js';

const q = perTensor(0.5, -3);
const SLICE0 = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 1, offset: false };

/** x [1, 3, 3, 4] -> SHAPE -> STRIDED_SLICE [0:1] (shrunk) -> PACK with 36 -> RESHAPE x. */
function flattenGraph() {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 3, 3, 4], 'int8', q);
  const shape = b.tensor('shape', [4], 'int32');
  const begin = b.constant('begin', [1], Int32Array.from([0]));
  const one = b.constant('one', [1], Int32Array.from([1]));
  const batch = b.tensor('batch', [], 'int32');
  const features = b.constant('features', [], Int32Array.from([36]));
  const packed = b.tensor('packed', [2], 'int32');
  const y = b.tensor('y', [1, 36], 'int8', q);
  b.op('SHAPE', [x], [shape], { outType: 'int32' })
    .op('STRIDED_SLICE', [shape, begin, one, one], [batch], SLICE0)
    .op('PACK', [batch, features], [packed], { valuesCount: 2, axis: 0 })
    .op('RESHAPE', [x, packed], [y], {});
  return b.build([y]);
}

describe('foldShapeArithmetic', () => {
  it('turns SHAPE -> STRIDED_SLICE -> PACK into a constant shape for the RESHAPE', () => {
    const g = foldShapeArithmetic(flattenGraph());
    expect(g.ops.map((o) => o.type)).toEqual(['RESHAPE']);
    const shapeInput = g.tensors[g.ops[0].inputs[1]];
    expect(Array.from(shapeInput.data as Int32Array)).toEqual([1, 36]);
    const x = Int8Array.from({ length: 36 }, (_, i) => i - 18);
    expect(Array.from(runGraph(prepareGraph(g), [x])[0] as Int8Array)).toEqual(Array.from(x));
  });

  it('folds GATHER and CONCATENATION of shape pieces (a Reshape to [batch, 9, 4])', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3, 3, 4], 'int8', q);
    const shape = b.tensor('shape', [4], 'int32');
    const batch = b.tensor('batch', [1], 'int32');
    const rest = b.constant('rest', [2], Int32Array.from([9, 4]));
    const target = b.tensor('target', [3], 'int32');
    const y = b.tensor('y', [1, 9, 4], 'int8', q);
    b.op('SHAPE', [x], [shape], { outType: 'int32' })
      .op('GATHER', [shape, b.constant('at', [1], Int32Array.from([0]))], [batch], { axis: 0, batchDims: 0 })
      .op('CONCATENATION', [batch, rest], [target], { axis: 0, activation: 'NONE' })
      .op('RESHAPE', [x, target], [y], {});
    const g = foldShapeArithmetic(b.build([y]));
    expect(g.ops.map((o) => o.type)).toEqual(['RESHAPE']);
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Int32Array)).toEqual([1, 9, 4]);
  });

  it('leaves activations, graph outputs and graphs without shape ops alone', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 2], 'int8', q);
    const s = b.tensor('s', [2], 'int32');
    const y = b.tensor('y', [2, 2], 'int8', q);
    b.op('SHAPE', [x], [s], { outType: 'int32' }).op('RELU', [x], [y], {});
    const g = b.build([s, y]);
    expect(foldShapeArithmetic(g)).toBe(g);
    const c = new GraphBuilder();
    const cx = c.input('x', [2], 'int8', q);
    const cy = c.tensor('y', [2], 'int8', q);
    c.op('RELU', [cx], [cy], {});
    const plain = c.build([cy]);
    expect(foldShapeArithmetic(plain)).toBe(plain);
  });
});
