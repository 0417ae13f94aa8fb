// loss.wgsl -- mse, cross_entropy, binary_cross_entropy of pred (op0) and
// target (op1), rows x cols, into op2[0]. One workgroup: every thread folds a
// strided share of all rows * cols elements, then a tree in workgroup memory.
// An empty divisor gives NaN, as the CPU backend.

var<workgroup> red: array<f32, 256>;

const MSE: u32 = 0u;
const CE: u32 = 1u;
const BCE: u32 = 2u;

// PyTorch clamps the logs at -100 so that p = 0 or 1 gives a finite loss.
fn clamped_log(x: f32) -> f32 { return max_nan(log_f32(x), -100.0); }

fn term(pv: f32, tv: f32, kind: u32) -> f32 {
  if (kind == MSE) { let d = pv - tv; return d * d; }
  if (kind == CE) { return tv * clamped_log(pv); }
  return tv * clamped_log(pv) + (1.0 - tv) * clamped_log(1.0 - pv);
}

fn total(lid: u32, kind: u32) -> f32 {
  let n = p.d0 * p.d1;
  var acc = 0.0;
  for (var i = lid; i < n; i += 256u) { acc = acc + term(op0[p.off0 + i], op1[p.off1 + i], kind); }
  red[lid] = acc;
  for (var s = 128u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
  }
  workgroupBarrier();
  return red[0];
}

@compute @workgroup_size(256)
fn k_mse(@builtin(local_invocation_id) l: vec3<u32>) {
  let t = total(l.x, MSE);
  let n = p.d0 * p.d1;
  if (l.x == 0u) { op2[p.off2] = select(t / f32(n), nan_f32(), n == 0u); }
}

@compute @workgroup_size(256)
fn k_cross_entropy(@builtin(local_invocation_id) l: vec3<u32>) {
  let t = total(l.x, CE);
  if (l.x == 0u) { op2[p.off2] = select(-t / f32(p.d0), nan_f32(), p.d0 == 0u); }
}

@compute @workgroup_size(256)
fn k_binary_cross_entropy(@builtin(local_invocation_id) l: vec3<u32>) {
  let t = total(l.x, BCE);
  let n = p.d0 * p.d1;
  if (l.x == 0u) { op2[p.off2] = select(-t / f32(n), nan_f32(), n == 0u); }
}
