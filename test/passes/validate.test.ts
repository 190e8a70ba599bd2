/**
 * Graph validation in two layers: ir/validate.ts checks structure and knows no op;
 * passes/validate.ts adds op support (through the ops registry) at the same point of the walk,
 * so the first problem reported is the same as when it was one function.
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { OpType } from '../../src/ir/attrs.js';
import { validateStructure } from '../../src/ir/validate.js';
import { validateGraph } from '../../src/passes/validate.js';
import { GraphBuilder } from './graph-builder.js';

const UNKNOWN = 'NO_SUCH_OP' as OpType;

function graphWith(type: OpType, readsLater: boolean) {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 4]);
  const y = b.tensor('y', [1, 4]);
  const z = b.tensor('z', [1, 4]);
  // With readsLater, op 0 reads z, which only op 1 produces: an ordering error at op 0.
  b.op(type, [readsLater ? z : x], [y], {} as never);
  b.op('RELU', [y], [z], {});
  return b.build([z]);
}

describe('validateStructure (ir) and validateGraph (passes)', () => {
  it('the IR check accepts an op type it cannot know; the op-aware check names it', () => {
    const g = graphWith(UNKNOWN, false);
    expect(() => validateStructure(g)).not.toThrow();
    expect(() => validateGraph(g)).toThrow(UnsupportedOpError);
    expect(() => validateGraph(g)).toThrow(/op #0 NO_SUCH_OP.*tinyml has no kernel for NO_SUCH_OP/);
  });

  it('an unsupported op is reported before that op reads a tensor not yet produced', () => {
    expect(() => validateGraph(graphWith(UNKNOWN, true))).toThrow(UnsupportedOpError);
    expect(() => validateGraph(graphWith('RELU', true))).toThrow(GraphError);
    expect(() => validateGraph(graphWith('RELU', true))).toThrow(/op #0 RELU.* input 0 reads tensor 2 'z', which no earlier op produces/);
  });

  it('bad indices come before op support', () => {
    const g = graphWith(UNKNOWN, false);
    g.ops[0].outputs = [7];
    expect(() => validateGraph(g)).toThrow(/output 0 refers to tensor 7, but the graph has 3 tensors/);
  });
});
