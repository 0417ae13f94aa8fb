// elementwise.wgsl -- fill, copy, the binary ops, the ops with scalars and
// the unary ops. 256 threads per workgroup; the host launches
// min(ceil(n / 256), 65535) workgroups and each thread strides by the whole
// grid, so any n up to 2^32 - 1 is covered. Each thread reads element i before
// it writes element i, so the output may be the same memory as an input.
//
// The transcendental functions are common.wgsl's, not the built-ins (whose
// accuracy WGSL leaves to the driver). sqrt is the built-in: Vulkan allows it
// 3 ULP, drivers round it correctly in practice; negative arguments give NaN
// (WGSL leaves that value indeterminate, so it is written out). Division is
// the `/` operator: correctly rounded on lavapipe, but Vulkan allows 2.5 ULP.

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn k_fill(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op0[p.off0 + i] = p.s0; }
}

@compute @workgroup_size(256)
fn k_copy(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) { op1[p.off1 + i] = op0[p.off0 + i]; }
}

// np.clip's order: the upper bound is applied last, so lo > hi gives hi; NaN
// in x or in a bound propagates.
fn clip(x: f32, lo: f32, hi: f32) -> f32 { return min_nan(max_nan(x, lo), hi); }

// x < 0 rather than max(x, 0): NaN passes through, as np.maximum(x, 0).
fn relu(x: f32) -> f32 { return select(x, 0.0, x < 0.0); }

fn sqrt_f32(x: f32) -> f32 {
  if (x < 0.0) { return nan_f32(); }
  return sqrt(x);
}

// Sign-bit operations: exact for NaN, -0 and the infinities alike.
fn abs_f32(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & F32_ABS_MASK); }
fn neg_f32(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ 0x80000000u); }

// ---- binary: op2 = op0 (.) op1 ----

@compute @workgroup_size(256)
fn k_add(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = x + y;
  }
}

@compute @workgroup_size(256)
fn k_sub(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = x - y;
  }
}

@compute @workgroup_size(256)
fn k_mul(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = x * y;
  }
}

@compute @workgroup_size(256)
fn k_div(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = x / y;
  }
}

@compute @workgroup_size(256)
fn k_maximum(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = max_nan(x, y);
  }
}

@compute @workgroup_size(256)
fn k_minimum(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    let y = op1[p.off1 + i];
    op2[p.off2 + i] = min_nan(x, y);
  }
}

// ---- with scalars: op1 = f(op0, s0[, s1]); the scalars arrive rounded to
// float32, as NumPy rounds a Python float next to a float32 array ----

@compute @workgroup_size(256)
fn k_add_scalar(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = x + p.s0;
  }
}

@compute @workgroup_size(256)
fn k_mul_scalar(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = x * p.s0;
  }
}

@compute @workgroup_size(256)
fn k_clip(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = clip(x, p.s0, p.s1);
  }
}

// ---- unary: op1 = f(op0) ----

@compute @workgroup_size(256)
fn k_neg(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = neg_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_abs(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = abs_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_relu(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = relu(x);
  }
}

@compute @workgroup_size(256)
fn k_sigmoid(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = sigmoid_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_tanh(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = tanh_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_exp(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = exp_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_log(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = log_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_sqrt(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = sqrt_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_gelu(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = gelu_f32(x);
  }
}

@compute @workgroup_size(256)
fn k_gelu_tanh(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = g.x; i < p.d0; i += nw.x * WG) {
    let x = op0[p.off0 + i];
    op1[p.off1 + i] = gelu_tanh_f32(x);
  }
}
