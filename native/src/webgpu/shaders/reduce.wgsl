// reduce.wgsl -- sum, max, min, mean over the last axis of a rows x cols
// row-major view (op0) into op1[rows]; rows = d0, cols = d1.
//
// One workgroup of 256 threads per row; the host launches min(rows, 65535)
// workgroups and rows are strided by the workgroup count. `row` depends only
// on workgroup ids and p, so every barrier is in uniform control flow.
// Each thread folds a strided slice of the row, then the 256 partials meet in
// a workgroup tree (common.wgsl). Sums are compensated (float-float), so they
// are good to about one rounding whatever cols is. Empty rows (cols == 0):
// sum 0, mean NaN (as NumPy); max/min never get them but would write NaN.

fn row_sum(row: u32, lid: u32) -> f32 {
  let base = p.off0 + row * p.d1;
  var acc = vec2<f32>(0.0, 0.0);
  for (var j = lid; j < p.d1; j += 256u) { acc = acc_add(acc, op0[base + j]); }
  return wg_sum(lid, acc);
}

// -inf / +inf are the identities of max / min, so idle threads contribute them.
fn row_extremum(row: u32, lid: u32, want_max: bool) -> f32 {
  let base = p.off0 + row * p.d1;
  var v = select(inf_f32(), -inf_f32(), want_max);
  for (var j = lid; j < p.d1; j += 256u) {
    let x = op0[base + j];
    v = select(min_nan(v, x), max_nan(v, x), want_max);
  }
  let r = wg_extremum(lid, v, want_max);
  return select(r, nan_f32(), p.d1 == 0u);
}

@compute @workgroup_size(256)
fn k_sum(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let s = row_sum(row, lid);
    if (lid == 0u) { op1[p.off1 + row] = s; }
  }
}

@compute @workgroup_size(256)
fn k_mean(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
          @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let s = row_sum(row, lid);
    if (lid == 0u) { op1[p.off1 + row] = select(s / f32(p.d1), nan_f32(), p.d1 == 0u); }
  }
}

@compute @workgroup_size(256)
fn k_max(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let r = row_extremum(row, lid, true);
    if (lid == 0u) { op1[p.off1 + row] = r; }
  }
}

@compute @workgroup_size(256)
fn k_min(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
         @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let r = row_extremum(row, lid, false);
    if (lid == 0u) { op1[p.off1 + row] = r; }
  }
}
