// reduce.wgsl -- sum, max, min, mean over the last axis of a rows x cols
// view (op0) into op1[rows]. One workgroup of 256 threads per row: each
// thread folds a strided slice, then a tree in workgroup memory (pairwise,
// so the rounding error grows with log2(cols), not cols). Rows are strided
// by the workgroup count; `row` depends only on workgroup ids, so every
// barrier sits in uniform control flow.

var<workgroup> red: array<f32, 256>;

const SUM: u32 = 0u;
const MAX: u32 = 1u;
const MIN: u32 = 2u;

fn combine(a: f32, b: f32, kind: u32) -> f32 {
  if (kind == MAX) { return max_nan(a, b); }
  if (kind == MIN) { return min_nan(a, b); }
  return a + b;
}

// Call with red[lid] written, from uniform control flow; every thread gets the result.
fn tree(lid: u32, kind: u32) -> f32 {
  for (var s = 128u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] = combine(red[lid], red[lid + s], kind); }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier(); // red is reused by the next row
  return r;
}

fn row_fold(row: u32, lid: u32, kind: u32) -> f32 {
  let base = p.off0 + row * p.d1;
  var acc = 0.0;
  if (kind == MAX) { acc = -inf_f32(); }
  if (kind == MIN) { acc = inf_f32(); }
  for (var j = lid; j < p.d1; j += 256u) { acc = combine(acc, op0[base + j], kind); }
  red[lid] = acc;
  return tree(lid, kind);
}

@compute @workgroup_size(256)
fn k_sum(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let total = row_fold(row, l.x, SUM);
    if (l.x == 0u) { op1[p.off1 + row] = total; }
  }
}

@compute @workgroup_size(256)
fn k_mean(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
          @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let total = row_fold(row, l.x, SUM);
    // The mean of no elements is NaN, as NumPy's.
    if (l.x == 0u) { op1[p.off1 + row] = select(total / f32(p.d1), nan_f32(), p.d1 == 0u); }
  }
}

@compute @workgroup_size(256)
fn k_max(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let m = row_fold(row, l.x, MAX);
    if (l.x == 0u) { op1[p.off1 + row] = m; }
  }
}

@compute @workgroup_size(256)
fn k_min(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let m = row_fold(row, l.x, MIN);
    if (l.x == 0u) { op1[p.off1 + row] = m; }
  }
}
