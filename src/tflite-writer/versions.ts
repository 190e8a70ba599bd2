/**
 * OperatorCode.version for each op, following the rules of TensorFlow's op_version.cc for the
 * op/dtype combinations tinyml produces (int8, 16x8, float32). TFLite Micro ignores versions;
 * the full TFLite runtime only needs them within the range its kernels register, which these are.
 */
import type { OpAttrs } from '../ir/attrs.js';
import type { DType, Graph, Op } from '../ir/types.js';

function dtypeOf(graph: Graph, ref: number | undefined): DType | undefined {
  return ref !== undefined && ref >= 0 ? graph.tensors[ref]?.dtype : undefined;
}

export function opVersion(graph: Graph, op: Op): number {
  const in0 = dtypeOf(graph, op.inputs[0]);
  const in1 = dtypeOf(graph, op.inputs[1]);
  const out0 = dtypeOf(graph, op.outputs[0]);
  const int8 = in0 === 'int8';
  const int16 = in0 === 'int16';
  switch (op.type) {
    case 'CONV_2D': {
      const input = graph.tensors[op.inputs[0]];
      const filter = graph.tensors[op.inputs[1]];
      if (input && filter && input.shape.length === 4 && filter.shape.length === 4 && input.shape[3] !== filter.shape[3]) return 6;
      if (int16 && in1 === 'int8' && out0 === 'int16') return 4;
      if (int8 && in1 === 'int8') return 3;
      if (in0 === 'float32' && in1 === 'int8') return (filter?.quant?.scale.length ?? 1) > 1 ? 5 : 2; // hybrid
      const a = op.attrs as OpAttrs['CONV_2D'];
      return a.dilationH !== 1 || a.dilationW !== 1 ? 2 : 1;
    }
    case 'DEPTHWISE_CONV_2D': {
      if (int16) return 5;
      if (int8 && in1 === 'int8') return 3;
      if (in0 === 'float32' && in1 === 'int8') return (graph.tensors[op.inputs[1]].quant?.scale.length ?? 1) > 1 ? 6 : 4; // hybrid
      const a = op.attrs as OpAttrs['DEPTHWISE_CONV_2D'];
      return a.dilationH !== 1 || a.dilationW !== 1 ? 2 : 1;
    }
    case 'FULLY_CONNECTED': {
      if (int16 && in1 === 'int8') return 7;
      if (op.inputs.length < 3 || op.inputs[2] < 0) return 6;
      if ((op.attrs as OpAttrs['FULLY_CONNECTED']).keepNumDims) return 5;
      if (int8 && in1 === 'int8') return 4;
      if (in0 === 'float32' && in1 === 'int8') return (op.attrs as OpAttrs['FULLY_CONNECTED']).asymmetricQuantizeInputs ? 9 : 3; // hybrid
      return 1;
    }
    case 'TRANSPOSE_CONV': {
      if ((op.attrs as OpAttrs['TRANSPOSE_CONV']).activation !== 'NONE') return 4;
      if (op.inputs.length === 4 && op.inputs[3] >= 0) return 3;
      return in1 === 'int8' ? 2 : 1;
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
    case 'SOFTMAX':
    case 'LOGISTIC':
    case 'TANH':
    case 'ADD':
    case 'SUB':
    case 'RELU':
    case 'RELU6':
    case 'CONCATENATION':
    case 'MEAN':
    case 'PAD':
    case 'DEQUANTIZE':
      return int16 ? 3 : int8 ? 2 : 1;
    case 'MUL':
      return int16 ? 4 : int8 ? 2 : 1;
    case 'LEAKY_RELU':
      return int16 ? 2 : 1;
    case 'SUM':
    case 'STRIDED_SLICE':
    case 'RESIZE_NEAREST_NEIGHBOR':
      return int16 ? 4 : int8 ? 2 : 1;
    case 'QUANTIZE':
      return in0 === 'int16' || out0 === 'int16' ? 2 : 1;
    case 'RESHAPE':
    case 'SQUEEZE':
    case 'HARD_SWISH':
      return 1;
    case 'UNIDIRECTIONAL_SEQUENCE_LSTM': {
      // 4 with diagonal recurrent tensors, 2/3 for hybrid (float input, int8 weights), else 1.
      const a = op.attrs as OpAttrs['UNIDIRECTIONAL_SEQUENCE_LSTM'];
      if (a.diagonalRecurrentTensors) return 4;
      if (in0 === 'float32' && dtypeOf(graph, op.inputs[2]) === 'int8') return a.asymmetricQuantizeInputs ? 3 : 2;
      return 1;
    }
  }
  return 1;
}
