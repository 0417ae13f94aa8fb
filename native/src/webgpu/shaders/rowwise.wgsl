// rowwise.wgsl -- softmax and log_softmax over the last axis of rows x cols
// (op0 -> op1, in place allowed). One workgroup per row, three passes: the
// row's max m, the sum of exp(x - m) (tree-reduced), then the outputs. Each
// element is read in every pass before the last pass writes it, and the last
// pass reads x[j] before writing y[j], so in place is safe.

var<workgroup> red: array<f32, 256>;

fn tree_max(lid: u32) -> f32 {
  for (var s = 128u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] = max_nan(red[lid], red[lid + s]); }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn tree_sum(lid: u32) -> f32 {
  for (var s = 128u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();
  return r;
}

// The row's max and sum of exp(x - max), for every thread of the workgroup.
fn row_stats(base: u32, lid: u32) -> vec2<f32> {
  var m = -inf_f32();
  for (var j = lid; j < p.d1; j += 256u) { m = max_nan(m, op0[base + j]); }
  red[lid] = m;
  let row_max = tree_max(lid);
  var s = 0.0;
  for (var j = lid; j < p.d1; j += 256u) { s = s + exp_f32(op0[base + j] - row_max); }
  red[lid] = s;
  return vec2<f32>(row_max, tree_sum(lid));
}

@compute @workgroup_size(256)
fn k_softmax(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
             @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let st = row_stats(p.off0 + row * p.d1, l.x);
    for (var j = l.x; j < p.d1; j += 256u) {
      op1[p.off1 + row * p.d1 + j] = exp_f32(op0[p.off0 + row * p.d1 + j] - st.x) / st.y;
    }
    workgroupBarrier(); // in place: the next row's reads come after this row's writes
  }
}

@compute @workgroup_size(256)
fn k_log_softmax(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
                 @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    let st = row_stats(p.off0 + row * p.d1, l.x);
    let lse = log_f32(st.y);
    for (var j = l.x; j < p.d1; j += 256u) {
      op1[p.off1 + row * p.d1 + j] = (op0[p.off0 + row * p.d1 + j] - st.x) - lse;
    }
    workgroupBarrier();
  }
}
