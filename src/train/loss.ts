/** The training loss: cross entropy, optionally mixed with distillation from the float model's logits. */

/** Softmax of each row of `logits` [rows, k] at temperature t. */
export function softmax(logits: Float32Array, rows: number, k: number, t = 1): Float32Array {
  const p = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[r * k + j] / t);
    let s = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(logits[r * k + j] / t - m);
      p[r * k + j] = e;
      s += e;
    }
    for (let j = 0; j < k; j++) p[r * k + j] /= s;
  }
  return p;
}

const DISTILL_T = 2;
const DISTILL_ALPHA = 0.5;

/**
 * Loss and its gradient with respect to the logits: cross entropy, or with `teacher` logits
 * (1 - α) CE + α T² KL(teacher_T ‖ student_T). Returns the rows' summed loss and correct count;
 * the gradient is of the loss summed over the rows divided by `total` (the whole batch).
 */
export function lossAndGradient(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  k: number,
  teacher?: Float32Array,
  total = rows,
): { loss: number; correct: number; grad: Float32Array } {
  const p = softmax(logits, rows, k);
  const grad = new Float32Array(logits.length);
  let loss = 0;
  let correct = 0;
  const a = teacher ? DISTILL_ALPHA : 0;
  const ps = teacher ? softmax(logits, rows, k, DISTILL_T) : undefined;
  const pt = teacher ? softmax(teacher, rows, k, DISTILL_T) : undefined;
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    let best = 0;
    for (let j = 0; j < k; j++) {
      const i = r * k + j;
      if (logits[i] > logits[r * k + best]) best = j;
      grad[i] = ((1 - a) * (p[i] - (j === y ? 1 : 0))) / total;
      if (ps && pt) {
        grad[i] += (a * DISTILL_T * (ps[i] - pt[i])) / total;
        if (pt[i] > 0) loss += a * DISTILL_T * DISTILL_T * pt[i] * Math.log(pt[i] / Math.max(ps[i], 1e-30));
      }
    }
    loss += -(1 - a) * Math.log(Math.max(p[r * k + y], 1e-30));
    if (best === y) correct++;
  }
  return { loss, correct, grad };
}

