#!/usr/bin/env python3
"""Rewrite an int8 .tflite so that every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weight is
TFLite INT4 (two values per byte, low nibble first), for measuring TensorFlow Lite Micro's int4 path.
A per-channel FULLY_CONNECTED stays int8: TFLite Micro has no int4 kernel for it.

    python3 make_int4.py SCHEMA.fbs IN.tflite OUT.tflite

SCHEMA.fbs is TFLite's schema (tensorflow/compiler/mlir/lite/schema/schema.fbs in a TFLite Micro
checkout); the script needs Debian's `flatc` (flatbuffers-compiler), numpy and the `flatbuffers`
Python package (python3-flatbuffers).

Rounding is plain: q4 = clamp(round(q8 / 16), -8, 7) with each channel's scale multiplied by 16,
so the weights keep their int8 range at a sixteenth of the resolution; the bias, in units of
input_scale * weight_scale, is divided by 16 (rounded) to keep its real value. The result is a file
for timing the int4 kernels, not an accurate int4 model.

The model is rewritten through flatc (binary -> JSON -> binary), which packs it afresh so the file
really shrinks. flatc prints floats with 6 significant digits, so afterwards every tensor's
quantization scale, min and max vector is written back into the new binary exactly (original
float32 values, times 16 for the converted weights and biases); no other float field of these
models' operators is lossy (checked: flatc prints the result exactly as it printed it before the restore).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from flatbuffers.table import Table
from flatbuffers.util import GetBufferIdentifier

# Field numbers in tensorflow/compiler/mlir/lite/schema/schema.fbs.
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 1, 2, 4
SUBGRAPH_TENSORS, SUBGRAPH_OPERATORS = 0, 3
TENSOR_QUANT = 4
QUANT_SCALE = 2
OP_OPCODE_INDEX, OP_INPUTS = 0, 1
OPCODE_DEPRECATED, OPCODE_BUILTIN = 0, 3
FULLY_CONNECTED = 9
WEIGHTED_OPS = {3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', FULLY_CONNECTED: 'FULLY_CONNECTED'}


def slot(field):
    return 4 + 2 * field


def table(buf, pos):
    return Table(buf, pos)


def scalar(t, field, dtype, default=0):
    o = t.Offset(slot(field))
    return int(np.frombuffer(t.Bytes, dtype, 1, t.Pos + o)[0]) if o else default


def vector(t, field):
    """(absolute start of the elements, length) of a vector field, or None."""
    o = t.Offset(slot(field))
    return (t.Vector(o), t.VectorLen(o)) if o else None


def sub_table(t, field):
    o = t.Offset(slot(field))
    return table(t.Bytes, t.Indirect(t.Pos + o)) if o else None


def table_at(t, field, i):
    start, n = vector(t, field)
    assert i < n
    return table(t.Bytes, t.Indirect(start + 4 * i))


MIN_FIELD, MAX_FIELD = 0, 1


def root(buf):
    return table(buf, int(np.frombuffer(buf, '<u4', 1, 0)[0]))


def weighted_ops(buf):
    """{weight tensor index: (builtin op code, bias tensor index or -1)} for every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED."""
    model = root(buf)
    sub = table_at(model, MODEL_SUBGRAPHS, 0)
    found = {}
    for i in range(vector(sub, SUBGRAPH_OPERATORS)[1]):
        op = table_at(sub, SUBGRAPH_OPERATORS, i)
        code = table_at(model, MODEL_OPERATOR_CODES, scalar(op, OP_OPCODE_INDEX, '<u4'))
        builtin = max(scalar(code, OPCODE_DEPRECATED, '<i1'), scalar(code, OPCODE_BUILTIN, '<i4'))
        if builtin in WEIGHTED_OPS:
            start, n_in = vector(op, OP_INPUTS)
            ins = np.frombuffer(buf, '<i4', n_in, start)
            found[int(ins[1])] = (builtin, int(ins[2]) if n_in > 2 else -1)
    return found


def quant_vectors(buf):
    """For each tensor of subgraph 0: {field: (start, length)} of its scale, min and max vectors."""
    sub = table_at(root(buf), MODEL_SUBGRAPHS, 0)
    out = []
    for i in range(vector(sub, SUBGRAPH_TENSORS)[1]):
        q = sub_table(table_at(sub, SUBGRAPH_TENSORS, i), TENSOR_QUANT)
        out.append({} if q is None else {f: v for f in (MIN_FIELD, MAX_FIELD, QUANT_SCALE) if (v := vector(q, f))})
    return out


def flatc(args, cwd):
    r = subprocess.run(['flatc', *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'flatc {" ".join(args)} failed: {r.stderr.strip()}')


def convert(schema_path, buf):
    """The INT4 model's bytes and a line per converted tensor."""
    pairs = weighted_ops(buf)
    old_q = quant_vectors(buf)
    exact = [{f: np.frombuffer(buf, '<f4', n, s).copy() for f, (s, n) in q.items()} for q in old_q]
    with tempfile.TemporaryDirectory() as tmp:
        # TFLite's schema marks some fields `(deprecated)`, which flatc 2.0 does not parse.
        with open(schema_path) as f, open(os.path.join(tmp, 'schema.fbs'), 'w') as g:
            g.write(f.read().replace('(deprecated)', ''))
        with open(os.path.join(tmp, 'in.tflite'), 'wb') as f:
            f.write(buf)
        flatc(['--json', '--strict-json', '--raw-binary', 'schema.fbs', '--', 'in.tflite'], tmp)
        model = json.load(open(os.path.join(tmp, 'in.json')))
        sub = model['subgraphs'][0]
        log = []
        for w_index, (builtin, b_index) in pairs.items():
            w = sub['tensors'][w_index]
            if builtin == FULLY_CONNECTED and len(w.get('quantization', {}).get('scale', [])) > 1:
                # TFLite Micro refuses per-channel FULLY_CONNECTED with INT4 weights
                # (fully_connected_common.cc), so such a layer stays int8.
                log.append(f'tensor {w_index} {w.get("name")}: per-channel FULLY_CONNECTED, left int8 (TFLM has no int4 kernel for it)')
                continue
            if w.get('type') != 'INT8':
                raise SystemExit(f'weight tensor {w_index} ({w.get("name")}) is not int8')
            data = model['buffers'][w['buffer']].get('data')
            if not data:
                raise SystemExit(f'weight tensor {w_index} ({w.get("name")}) has no constant data')
            q8 = np.array(data, np.uint8).view(np.int8).astype(np.int32)
            q4 = np.clip(np.round(q8 / 16.0), -8, 7).astype(np.int32)
            # Two per byte, low nibble first, over the flattened tensor (an odd count pads a zero nibble).
            nib = np.concatenate([q4, np.zeros(len(q4) % 2, np.int32)]) & 0xF
            model['buffers'][w['buffer']]['data'] = (nib[0::2] | (nib[1::2] << 4)).tolist()
            w['type'] = 'INT4'
            exact[w_index][QUANT_SCALE] = exact[w_index][QUANT_SCALE] * np.float32(16)
            w['quantization']['scale'] = [float(x) for x in exact[w_index][QUANT_SCALE]]
            if b_index >= 0:
                b = sub['tensors'][b_index]
                if b.get('type') != 'INT32':
                    raise SystemExit(f'bias tensor {b_index} ({b.get("name")}) is not int32')
                bias = np.array(model['buffers'][b['buffer']]['data'], np.uint8).view('<i4').astype(np.int64)
                model['buffers'][b['buffer']]['data'] = np.round(bias / 16.0).astype('<i4').view(np.uint8).tolist()
                exact[b_index][QUANT_SCALE] = exact[b_index][QUANT_SCALE] * np.float32(16)
                b['quantization']['scale'] = [float(x) for x in exact[b_index][QUANT_SCALE]]
            log.append(f'tensor {w_index} {w.get("name")}: {len(q8)} int8 -> {len(nib) // 2} bytes int4')
        with open(os.path.join(tmp, 'out.json'), 'w') as f:
            json.dump(model, f)
        flatc(['--binary', 'schema.fbs', 'out.json'], tmp)
        out = bytearray(open(os.path.join(tmp, 'out.tflite'), 'rb').read())
        new_q = quant_vectors(out)
        for i, q in enumerate(new_q):
            for f, (s, n) in q.items():
                if n != len(exact[i][f]):
                    raise SystemExit(f'tensor {i}: quantization vector {f} changed length')
                out[s:s + 4 * n] = exact[i][f].astype('<f4').tobytes()
        # The result must say exactly what was written (to flatc's printing precision).
        with open(os.path.join(tmp, 'check.tflite'), 'wb') as f:
            f.write(out)
        flatc(['--json', '--strict-json', '--raw-binary', 'schema.fbs', '--', 'check.tflite'], tmp)
        flatc(['--json', '--strict-json', '--raw-binary', 'schema.fbs', '--', 'out.tflite'], tmp)
        if open(os.path.join(tmp, 'check.json')).read() != open(os.path.join(tmp, 'out.json')).read():
            raise SystemExit('internal error: restoring the exact scales changed something else')
    return bytes(out), log


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    schema, src, dst = sys.argv[1:]
    buf = bytearray(open(src, 'rb').read())
    if GetBufferIdentifier(buf, 0) != b'TFL3':
        raise SystemExit(f'{src}: not a .tflite file')
    out, log = convert(schema, buf)
    print('\n'.join(log))
    with open(dst, 'xb') as f:  # never overwrite
        f.write(out)
    n = sum(1 for line in log if 'int4' in line.split(':')[-1] and 'left int8' not in line)
    print(f'wrote {dst}: {n} weight tensors as INT4, {len(buf)} -> {len(out)} bytes')


main()
