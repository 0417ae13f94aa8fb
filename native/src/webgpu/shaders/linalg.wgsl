// linalg.wgsl -- GEMM and MATVEC, row-major.
//
// GEMM: C (m x n) = alpha op(A) op(B) + beta C, m = d0, n = d1, k = d2,
// flags 1 = A transposed (stored k x m), 2 = B transposed (stored n x k).
// Each 16 x 16 workgroup computes a 64 x 64 tile of C, 4 x 4 outputs per
// thread held in registers; A and B arrive in 64 x 16 / 16 x 64 slabs staged
// in workgroup memory, so each global element is read once per tile instead
// of once per output. Out-of-range slab entries are zeros, so every edge
// (m, n, k down to 1) needs no special case. beta == 0: C is never read.

var<workgroup> slab_a: array<f32, 1024>; // 64 rows x 16 k
var<workgroup> slab_b: array<f32, 1024>; // 16 k x 64 cols

fn a_at(i: u32, kk: u32) -> f32 {
  if (i >= p.d0 || kk >= p.d2) { return 0.0; }
  if ((p.flags & 1u) != 0u) { return op0[p.off0 + kk * p.d0 + i]; }
  return op0[p.off0 + i * p.d2 + kk];
}

fn b_at(kk: u32, j: u32) -> f32 {
  if (kk >= p.d2 || j >= p.d1) { return 0.0; }
  if ((p.flags & 2u) != 0u) { return op1[p.off1 + j * p.d2 + kk]; }
  return op1[p.off1 + kk * p.d1 + j];
}

@compute @workgroup_size(16, 16)
fn k_gemm(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {
  let t = l.y * 16u + l.x;
  let row0 = w.y * 64u;
  let col0 = w.x * 64u;
  var acc: array<f32, 16>;
  for (var q = 0u; q < 16u; q++) { acc[q] = 0.0; }
  for (var k0 = 0u; k0 < p.d2; k0 += 16u) {
    for (var q = 0u; q < 4u; q++) {
      let idx = t + q * 256u;
      slab_a[idx] = a_at(row0 + idx / 16u, k0 + idx % 16u);
      slab_b[idx] = b_at(k0 + idx / 64u, col0 + idx % 64u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var b: array<f32, 4>;
      for (var j = 0u; j < 4u; j++) { b[j] = slab_b[kk * 64u + l.x * 4u + j]; }
      for (var i = 0u; i < 4u; i++) {
        let a = slab_a[(l.y * 4u + i) * 16u + kk];
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = acc[i * 4u + j] + a * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + l.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + l.x * 4u + j;
      if (r < p.d0 && c < p.d1) {
        let at = p.off2 + r * p.d1 + c;
        var v = p.s0 * acc[i * 4u + j];
        if (p.s1 != 0.0) { v = v + p.s1 * op2[at]; }
        op2[at] = v;
      }
    }
  }
}

// MATVEC: y (op2, m) = A (op0, m x n) x (op1, n); one workgroup per row,
// tree-reduced like the row sums.
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn k_matvec(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>,
            @builtin(num_workgroups) nw: vec3<u32>) {
  for (var row = w.x; row < p.d0; row += nw.x) {
    var acc = 0.0;
    for (var j = l.x; j < p.d1; j += 256u) { acc = acc + op0[p.off0 + row * p.d1 + j] * op1[p.off1 + j]; }
    red[l.x] = acc;
    for (var s = 128u; s > 0u; s = s >> 1u) {
      workgroupBarrier();
      if (l.x < s) { red[l.x] = red[l.x] + red[l.x + s]; }
    }
    workgroupBarrier();
    if (l.x == 0u) { op2[p.off2 + row] = red[0]; }
    workgroupBarrier();
  }
}
