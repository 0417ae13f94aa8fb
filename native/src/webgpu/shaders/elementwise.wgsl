// elementwise.wgsl -- fill, copy, binary, scalar and unary ops. 256 threads
// per workgroup; the host launches min(ceil(n / 256), 65535) workgroups and
// each thread strides over the rest. Element i is read before it is written,
// so the output may be an input (in place).

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn k_fill(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op0[p.off0 + i] = p.s0; }
}

@compute @workgroup_size(256)
fn k_copy(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = op0[p.off0 + i]; }
}

// ---- binary: op2 = op0 (.) op1 ----
@compute @workgroup_size(256)
fn k_add(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = op0[p.off0 + i] + op1[p.off1 + i]; }
}
@compute @workgroup_size(256)
fn k_sub(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = op0[p.off0 + i] - op1[p.off1 + i]; }
}
@compute @workgroup_size(256)
fn k_mul(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = op0[p.off0 + i] * op1[p.off1 + i]; }
}
@compute @workgroup_size(256)
fn k_div(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = op0[p.off0 + i] / op1[p.off1 + i]; }
}
@compute @workgroup_size(256)
fn k_maximum(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = max_nan(op0[p.off0 + i], op1[p.off1 + i]); }
}
@compute @workgroup_size(256)
fn k_minimum(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op2[p.off2 + i] = min_nan(op0[p.off0 + i], op1[p.off1 + i]); }
}

// ---- with scalars: op1 = f(op0, s0[, s1]) ----
@compute @workgroup_size(256)
fn k_add_scalar(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = op0[p.off0 + i] + p.s0; }
}
@compute @workgroup_size(256)
fn k_mul_scalar(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = op0[p.off0 + i] * p.s0; }
}
// np.clip's order: the upper bound last (lo > hi gives hi); NaN anywhere propagates.
@compute @workgroup_size(256)
fn k_clip(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = min_nan(max_nan(op0[p.off0 + i], p.s0), p.s1); }
}

// ---- unary: op1 = f(op0) ----
@compute @workgroup_size(256)
fn k_neg(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  // A sign flip on the bits: exact for NaN, infinities and zeros alike.
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = bitcast<f32>(bitcast<u32>(op0[p.off0 + i]) ^ 0x80000000u); }
}
@compute @workgroup_size(256)
fn k_abs(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = bitcast<f32>(bitcast<u32>(op0[p.off0 + i]) & 0x7fffffffu); }
}
@compute @workgroup_size(256)
fn k_relu(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  // x < 0 ? 0 : x -- NaN passes through, as np.maximum(x, 0).
  for (var i = g.x; i < p.d0; i += nw.x * WG) { let x = op0[p.off0 + i]; op1[p.off1 + i] = select(x, 0.0, x < 0.0); }
}
@compute @workgroup_size(256)
fn k_sigmoid(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = sigmoid_f32(op0[p.off0 + i]); }
}
@compute @workgroup_size(256)
fn k_tanh(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = tanh_f32(op0[p.off0 + i]); }
}
@compute @workgroup_size(256)
fn k_exp(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = exp_f32(op0[p.off0 + i]); }
}
@compute @workgroup_size(256)
fn k_log(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = log_f32(op0[p.off0 + i]); }
}
@compute @workgroup_size(256)
fn k_sqrt(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    // sqrt of a negative number is NaN (-0 stays -0); spelled out, not left to the driver.
    op1[p.off1 + i] = select(sqrt(x), nan_f32(), x < 0.0 || is_nan(x));
  }
}
@compute @workgroup_size(256)
fn k_gelu(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    var y = x * normal_cdf(x);
    if (is_nan(x)) { y = x; }
    if (bitcast<u32>(x) == 0xff800000u) { y = 0.0; } // -inf * Phi(-inf) = -inf * 0: the limit is 0
    op1[p.off1 + i] = y;
  }
}
// 0.5 x (1 + tanh(u)) = x sigmoid(2u): the same function without the
// cancellation of 1 + tanh(u) for negative x.
@compute @workgroup_size(256)
fn k_gelu_tanh(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let u = 0.7978845608 * (x + 0.044715 * x * x * x);
    var y = x * sigmoid_f32(2.0 * u);
    if (bitcast<u32>(x) == 0xff800000u) { y = 0.0; }
    op1[p.off1 + i] = y;
  }
}
