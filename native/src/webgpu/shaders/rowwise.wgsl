// rowwise.wgsl -- softmax and log_softmax over the last axis of a rows x cols
// view, op0 -> op1 (rows = d0, cols = d1; the host skips cols == 0).
//
// One workgroup of 256 threads per row, rows strided by the workgroup count
// (uniform, so the barriers in the tree reductions are legal). Three passes
// over the row: its max m; the exponentials exp(x - m) and their
// compensated sum; the outputs. Thread `lid` owns columns lid, lid + 256, ...
// in every pass, and reads x[j] before it writes y[j], so op1 may be the same
// memory as op0 (in place).
//
// x - m is kept as an exact float-float pair: rounded to one float it would
// cost |x - m| 2^-24 relative in exp (16 ULP at x - m = -40). Special values
// follow the formula, as the CPU backend and torch: -inf entries give 0
// (log_softmax: -inf); a row holding +inf or NaN, or all -inf, is all NaN.

// x - m as hi + lo; an infinite difference has no rounding error to keep.
fn minus_max(x: f32, m: f32) -> vec2<f32> {
  let d = two_sum(x, -m);
  return vec2<f32>(d.x, select(0.0, d.y, is_finite(d.x)));
}

fn row_max(base: u32, lid: u32) -> f32 {
  var m = -inf_f32();
  for (var j = lid; j < p.d1; j += 256u) { m = max_nan(m, op0[base + j]); }
  return wg_extremum(lid, m, true);
}

@compute @workgroup_size(256)
fn k_softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
             @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let src = p.off0 + row * p.d1;
    let dst = p.off1 + row * p.d1;
    let m = row_max(src, lid);
    // The exponentials are parked in y: in place, x is gone after this pass.
    var acc = vec2<f32>(0.0, 0.0);
    for (var j = lid; j < p.d1; j += 256u) {
      let d = minus_max(op0[src + j], m);
      let e = exp_ff_neg(d.x, d.y);
      op1[dst + j] = e;
      acc = acc_add(acc, e);
    }
    let total = wg_sum(lid, acc);
    // A division, not a multiplication by 1 / total: one rounding, not two.
    for (var j = lid; j < p.d1; j += 256u) { op1[dst + j] = op1[dst + j] / total; }
  }
}

@compute @workgroup_size(256)
fn k_log_softmax(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
                 @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let src = p.off0 + row * p.d1;
    let dst = p.off1 + row * p.d1;
    let m = row_max(src, lid);
    var acc = vec2<f32>(0.0, 0.0);
    for (var j = lid; j < p.d1; j += 256u) {
      let d = minus_max(op0[src + j], m);
      acc = acc_add(acc, exp_ff_neg(d.x, d.y));
    }
    // log of the sum as a pair: when one term dominates, the sum is 1 + tiny
    // and the tiny part is all of its log.
    let total = wg_sum_pair(lid, acc);
    let log_total = log_ff(total.x, total.y);
    // (x - m) - log(total), the pair's low part added last.
    for (var j = lid; j < p.d1; j += 256u) {
      let d = minus_max(op0[src + j], m);
      op1[dst + j] = (d.x - log_total) + d.y;
    }
  }
}
