// loss.wgsl -- mse, cross_entropy and binary_cross_entropy of pred (op0) and
// target (op1), rows x cols (d0 x d1), one value into op2[0]:
//   MSE = mean((p - t)^2)
//   CE  = -(1/rows) sum t max(log p, -100)
//   BCE = -mean(t max(log p, -100) + (1 - t) max(log(1 - p), -100))
// The -100 clamp is PyTorch's; a NaN log (p < 0 or NaN) still propagates.
//
// Exactly one workgroup of 256 threads: each folds a strided share of all
// rows * cols elements into a compensated sum, then the workgroup tree.
// An empty divisor gives NaN, as in the CPU backend; CE with rows > 0 and
// cols == 0 is -0 / rows = -0, also as there.

// p - t is exact as a pair, so (p - t)^2 is formed to about one rounding
// (the CPU backend squares the exact double difference).
fn acc_squared_diff(acc: vec2<f32>, pv: f32, tv: f32) -> vec2<f32> {
  let d = two_sum(pv, -tv);
  let sq = two_prod(d.x, d.x);
  let a = acc_add(acc, sq.x);
  return vec2<f32>(a.x, select(a.y, a.y + (sq.y + 2.0 * d.x * d.y), is_finite(sq.x)));
}

fn clamped_log(x: f32) -> f32 { return max_nan(log_f32(x), -100.0); }

// log(1 - p) from the exact pair 1 - p = hi + lo: rounding 1 - p first would
// cost up to 2^-25 absolute in the log, a large relative error for small p.
fn clamped_log1m(pv: f32) -> f32 {
  let q = two_sum(1.0, -pv);
  return max_nan(log_ff(q.x, select(0.0, q.y, is_finite(q.x))), -100.0);
}

fn loss_total(lid: u32, kind: u32) -> f32 {
  let n = p.d0 * p.d1;
  var acc = vec2<f32>(0.0, 0.0);
  for (var i = lid; i < n; i += 256u) {
    let pv = op0[p.off0 + i];
    let tv = op1[p.off1 + i];
    if (kind == 0u) {
      acc = acc_squared_diff(acc, pv, tv);
    } else if (kind == 1u) {
      acc = acc_add(acc, tv * clamped_log(pv));
    } else {
      acc = acc_add(acc, tv * clamped_log(pv) + (1.0 - tv) * clamped_log1m(pv));
    }
  }
  return wg_sum(lid, acc);
}

@compute @workgroup_size(256)
fn k_mse(@builtin(local_invocation_index) lid: u32) {
  let total = loss_total(lid, 0u);
  let n = p.d0 * p.d1;
  if (lid == 0u) { op2[p.off2] = select(total / f32(n), nan_f32(), n == 0u); }
}

@compute @workgroup_size(256)
fn k_cross_entropy(@builtin(local_invocation_index) lid: u32) {
  let total = loss_total(lid, 1u);
  if (lid == 0u) { op2[p.off2] = select(-(total / f32(p.d0)), nan_f32(), p.d0 == 0u); }
}

@compute @workgroup_size(256)
fn k_binary_cross_entropy(@builtin(local_invocation_index) lid: u32) {
  let total = loss_total(lid, 2u);
  let n = p.d0 * p.d1;
  if (lid == 0u) { op2[p.off2] = select(-(total / f32(n)), nan_f32(), n == 0u); }
}
